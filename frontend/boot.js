// Starts the page: loads the WebAssembly next to this file and runs it.
import init from "./@JS@";
// For the page when the service asks for a proof of work; the solver is
// fetched only then.
globalThis.otpSolve = (...args) => import("./@POW@").then((pow) => pow.solve(...args));
init({ module_or_path: new URL("./@WASM@", import.meta.url) });
