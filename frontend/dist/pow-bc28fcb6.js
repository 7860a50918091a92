export async function solve(token, difficulty, progress) {
const module = await WebAssembly.compileStreaming(fetch(new URL("./pow-af209375.wasm", import.meta.url)));
const workers = [];
let tries = 0;
try {
return await new Promise((resolve, reject) => {
for (let i = 0; i < Math.min(navigator.hardwareConcurrency || 1, 8); i++) {
const w = new Worker(new URL("./pow-worker-88f17f0e.js", import.meta.url));
workers.push(w);
w.onmessage = ({ data }) => (data.nonce >= 0 ? resolve(data.nonce) : progress((tries += data.tries)));
w.onerror = reject;
w.postMessage({ module, token, difficulty, start: i * 2 ** 40 });
}
});
} finally {
for (const w of workers) {
w.onmessage = null;
w.terminate();
}
}
}
