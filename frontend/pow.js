// Solves a proof-of-work challenge for the page, off its main thread.
// Loaded only when the service asks for a proof (boot.js imports it then):
// compiles the solver and runs it in one Web Worker per core, each on its
// own range of nonces, adding up their tries for the progress shown.
export async function solve(token, difficulty, progress) {
  const module = await WebAssembly.compileStreaming(fetch(new URL("./@POW_WASM@", import.meta.url)));
  const workers = [];
  let tries = 0;
  try {
    return await new Promise((resolve, reject) => {
      for (let i = 0; i < Math.min(navigator.hardwareConcurrency || 1, 8); i++) {
        const w = new Worker(new URL("./@POW_WORKER@", import.meta.url));
        workers.push(w);
        w.onmessage = ({ data }) => (data.nonce >= 0 ? resolve(data.nonce) : progress((tries += data.tries)));
        w.onerror = reject;
        // 2^40 nonces each: far more than any difficulty needs, well under 2^53.
        w.postMessage({ module, token, difficulty, start: i * 2 ** 40 });
      }
    });
  } finally {
    // No progress after the answer: the page has let go of its callback.
    for (const w of workers) {
      w.onmessage = null;
      w.terminate();
    }
  }
}
