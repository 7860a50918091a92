// Starts the page: loads the WebAssembly next to this file and runs it.
import init from "./@JS@";
init({ module_or_path: new URL("./@WASM@", import.meta.url) });
