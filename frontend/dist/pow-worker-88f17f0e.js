const BATCH = 1 << 16;
onmessage = ({ data: { module, token, difficulty, start } }) => {
const solver = new WebAssembly.Instance(module).exports;
const bytes = new TextEncoder().encode(token);
new Uint8Array(solver.memory.buffer, solver.token(), bytes.length).set(bytes);
for (let n = start; ; n += BATCH) {
const nonce = solver.solve(bytes.length, difficulty, n, BATCH);
postMessage(nonce >= 0 ? { nonce } : { tries: BATCH });
if (nonce >= 0) return;
}
};
