function __wbg_get_imports() {
const import0 = {
__proto__: null,
__wbindgen_debug_string: function(arg0, arg1) {
const ret = debugString(arg1);
const ptr1 = passStringToWasm0(ret, wasm.__wbindgen_export, wasm.__wbindgen_export2);
const len1 = WASM_VECTOR_LEN;
getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 1, len1, true);
getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, ptr1, true);
},
__wbindgen_is_falsy: function(arg0) {
const ret = !arg0;
return ret;
},
__wbindgen_is_function: function(arg0) {
const ret = typeof(arg0) === 'function';
return ret;
},
__wbindgen_is_null: function(arg0) {
const ret = arg0 === null;
return ret;
},
__wbindgen_is_object: function(arg0) {
const val = arg0;
const ret = typeof(val) === 'object' && val !== null;
return ret;
},
__wbindgen_is_undefined: function(arg0) {
const ret = arg0 === undefined;
return ret;
},
__wbindgen_number_get: function(arg0, arg1) {
const obj = arg1;
const ret = typeof(obj) === 'number' ? obj : undefined;
getDataViewMemory0().setFloat64((arg0 >>> 0) + 8 * 1, isLikeNone(ret) ? 0 : ret, true);
getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, !isLikeNone(ret), true);
},
__wbindgen_string_get: function(arg0, arg1) {
const obj = arg1;
const ret = typeof(obj) === 'string' ? obj : undefined;
var ptr1 = isLikeNone(ret) ? 0 : passStringToWasm0(ret, wasm.__wbindgen_export, wasm.__wbindgen_export2);
var len1 = WASM_VECTOR_LEN;
getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 1, len1, true);
getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, ptr1, true);
},
__wbindgen_throw: function(arg0, arg1) {
throw new Error(getStringFromWasm0(arg0, arg1));
},
_wbg_cb_unref: function(arg0) {
arg0._wbg_cb_unref();
},
addEventListener: function() { return handleError(function (arg0, arg1, arg2, arg3) {
arg0.addEventListener(getStringFromWasm0(arg1, arg2), arg3);
}, arguments); },
body: function(arg0) {
const ret = arg0.body;
return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
},
call: function() { return handleError(function (arg0, arg1, arg2) {
const ret = arg0.call(arg1, arg2);
return ret;
}, arguments); },
cancelBubble: function(arg0) {
const ret = arg0.cancelBubble;
return ret;
},
clearInterval: function(arg0, arg1) {
arg0.clearInterval(arg1);
},
cloneNode2: function() { return handleError(function (arg0) {
const ret = arg0.cloneNode();
return ret;
}, arguments); },
cloneNode: function() { return handleError(function (arg0, arg1) {
const ret = arg0.cloneNode(arg1 !== 0);
return ret;
}, arguments); },
composedPath: function(arg0) {
const ret = arg0.composedPath();
return ret;
},
content: function(arg0) {
const ret = arg0.content;
return ret;
},
createComment: function(arg0, arg1, arg2) {
const ret = arg0.createComment(getStringFromWasm0(arg1, arg2));
return ret;
},
createElement: function() { return handleError(function (arg0, arg1, arg2) {
const ret = arg0.createElement(getStringFromWasm0(arg1, arg2));
return ret;
}, arguments); },
createTextNode: function(arg0, arg1, arg2) {
const ret = arg0.createTextNode(getStringFromWasm0(arg1, arg2));
return ret;
},
crypto: function() { return handleError(function (arg0) {
const ret = arg0.crypto;
return ret;
}, arguments); },
deleteProperty: function() { return handleError(function (arg0, arg1) {
const ret = Reflect.deleteProperty(arg0, arg1);
return ret;
}, arguments); },
document: function(arg0) {
const ret = arg0.document;
return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
},
fetch: function(arg0, arg1, arg2, arg3) {
const ret = arg0.fetch(getStringFromWasm0(arg1, arg2), arg3);
return ret;
},
firstElementChild: function(arg0) {
const ret = arg0.firstElementChild;
return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
},
format: function(arg0, arg1, arg2) {
const ret = arg1.format(arg2);
const ptr1 = passStringToWasm0(ret, wasm.__wbindgen_export, wasm.__wbindgen_export2);
const len1 = WASM_VECTOR_LEN;
getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 1, len1, true);
getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, ptr1, true);
},
getRandomValues: function() { return handleError(function (arg0, arg1, arg2) {
const ret = arg0.getRandomValues(getArrayU8FromWasm0(arg1, arg2));
return ret;
}, arguments); },
get: function() { return handleError(function (arg0, arg1) {
const ret = Reflect.get(arg0, arg1);
return ret;
}, arguments); },
get2: function() { return handleError(function (arg0, arg1) {
const ret = Reflect.get(arg0, arg1 >>> 0);
return ret;
}, arguments); },
get3: function(arg0, arg1) {
const ret = arg0[arg1 >>> 0];
return ret;
},
host: function(arg0) {
const ret = arg0.host;
return ret;
},
insertBefore: function() { return handleError(function (arg0, arg1, arg2) {
const ret = arg0.insertBefore(arg1, arg2);
return ret;
}, arguments); },
instanceof_Element: function(arg0) {
let result;
try {
result = arg0 instanceof Element;
} catch (_) {
result = false;
}
const ret = result;
return ret;
},
instanceof_ShadowRoot: function(arg0) {
let result;
try {
result = arg0 instanceof ShadowRoot;
} catch (_) {
result = false;
}
const ret = result;
return ret;
},
instanceof_Window: function(arg0) {
let result;
try {
result = arg0 instanceof Window;
} catch (_) {
result = false;
}
const ret = result;
return ret;
},
isArray: function(arg0) {
const ret = Array.isArray(arg0);
return ret;
},
location: function(arg0) {
const ret = arg0.location;
return ret;
},
new3: function(arg0, arg1) {
const ret = new Intl.PluralRules(getStringFromWasm0(arg0, arg1));
return ret;
},
new2: function(arg0, arg1) {
const ret = new Intl.NumberFormat(getStringFromWasm0(arg0, arg1));
return ret;
},
new: function() {
const ret = new Object();
return ret;
},
now: function(arg0) {
const ret = arg0.now();
return ret;
},
otpCatalog: function(arg0, arg1) {
const ret = otpCatalog(getStringFromWasm0(arg0, arg1));
return ret;
},
otpFocus: function() {
otpFocus();
},
otpLanguages: function(arg0) {
const ret = otpLanguages();
const ptr1 = passStringToWasm0(ret, wasm.__wbindgen_export, wasm.__wbindgen_export2);
const len1 = WASM_VECTOR_LEN;
getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 1, len1, true);
getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, ptr1, true);
},
otpMark: function(arg0, arg1, arg2, arg3, arg4, arg5) {
otpMark(getStringFromWasm0(arg0, arg1), getStringFromWasm0(arg2, arg3), getStringFromWasm0(arg4, arg5));
},
otpPick: function(arg0, arg1) {
otpPick(getStringFromWasm0(arg0, arg1));
},
otpSolve: function() { return handleError(function (arg0, arg1, arg2, arg3) {
const ret = otpSolve(getStringFromWasm0(arg0, arg1), arg2 >>> 0, arg3);
return ret;
}, arguments); },
parentNode: function(arg0) {
const ret = arg0.parentNode;
return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
},
parse: function() { return handleError(function (arg0, arg1) {
const ret = JSON.parse(getStringFromWasm0(arg0, arg1));
return ret;
}, arguments); },
performance: function(arg0) {
const ret = arg0.performance;
return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
},
preventDefault: function(arg0) {
arg0.preventDefault();
},
queueMicrotask: function(arg0) {
const ret = arg0.queueMicrotask;
return ret;
},
queueMicrotask2: function(arg0) {
queueMicrotask(arg0);
},
removeAttribute: function() { return handleError(function (arg0, arg1, arg2) {
arg0.removeAttribute(getStringFromWasm0(arg1, arg2));
}, arguments); },
removeEventListener: function() { return handleError(function (arg0, arg1, arg2, arg3) {
arg0.removeEventListener(getStringFromWasm0(arg1, arg2), arg3);
}, arguments); },
remove: function(arg0) {
arg0.remove();
},
remove2: function(arg0) {
arg0.remove();
},
replace: function() { return handleError(function (arg0, arg1, arg2) {
arg0.replace(getStringFromWasm0(arg1, arg2));
}, arguments); },
resolve: function(arg0) {
const ret = Promise.resolve(arg0);
return ret;
},
search: function() { return handleError(function (arg0, arg1) {
const ret = arg1.search;
const ptr1 = passStringToWasm0(ret, wasm.__wbindgen_export, wasm.__wbindgen_export2);
const len1 = WASM_VECTOR_LEN;
getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 1, len1, true);
getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, ptr1, true);
}, arguments); },
select: function(arg0, arg1, arg2) {
const ret = arg1.select(arg2);
const ptr1 = passStringToWasm0(ret, wasm.__wbindgen_export, wasm.__wbindgen_export2);
const len1 = WASM_VECTOR_LEN;
getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 1, len1, true);
getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, ptr1, true);
},
setAttribute: function() { return handleError(function (arg0, arg1, arg2, arg3, arg4) {
arg0.setAttribute(getStringFromWasm0(arg1, arg2), getStringFromWasm0(arg3, arg4));
}, arguments); },
setInterval: function() { return handleError(function (arg0, arg1, arg2) {
const ret = arg0.setInterval(arg1, arg2);
return ret;
}, arguments); },
set: function() { return handleError(function (arg0, arg1, arg2) {
const ret = Reflect.set(arg0, arg1, arg2);
return ret;
}, arguments); },
set_body: function(arg0, arg1) {
arg0.body = arg1;
},
set_headers: function(arg0, arg1) {
arg0.headers = arg1;
},
set_innerHTML: function(arg0, arg1, arg2) {
arg0.innerHTML = getStringFromWasm0(arg1, arg2);
},
set_method: function(arg0, arg1, arg2) {
arg0.method = getStringFromWasm0(arg1, arg2);
},
set_nodeValue: function(arg0, arg1, arg2) {
arg0.nodeValue = arg1 === 0 ? undefined : getStringFromWasm0(arg1, arg2);
},
static_accessor_GLOBAL_THIS: function() {
const ret = typeof globalThis === 'undefined' ? undefined : globalThis;
return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
},
static_accessor_GLOBAL: function() {
const ret = typeof global === 'undefined' ? undefined : global;
return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
},
static_accessor_SELF: function() {
const ret = typeof self === 'undefined' ? undefined : self;
return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
},
static_accessor_WINDOW: function() {
const ret = typeof window === 'undefined' ? undefined : window;
return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
},
status: function(arg0) {
const ret = arg0.status;
return ret;
},
target: function(arg0) {
const ret = arg0.target;
return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
},
text: function() { return handleError(function (arg0) {
const ret = arg0.text();
return ret;
}, arguments); },
then2: function(arg0, arg1, arg2) {
const ret = arg0.then(arg1, arg2);
return ret;
},
then: function(arg0, arg1) {
const ret = arg0.then(arg1);
return ret;
},
value: function(arg0, arg1) {
const ret = arg1.value;
const ptr1 = passStringToWasm0(ret, wasm.__wbindgen_export, wasm.__wbindgen_export2);
const len1 = WASM_VECTOR_LEN;
getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 1, len1, true);
getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, ptr1, true);
},
__wbindgen_generic_0000000000000001: function(arg0, arg1) {
const ret = makeMutClosure(arg0, arg1, __wasm_bindgen_func_elem_537);
return ret;
},
__wbindgen_generic_0000000000000002: function(arg0, arg1) {
const ret = makeMutClosure(arg0, arg1, __wasm_bindgen_func_elem_1978);
return ret;
},
__wbindgen_generic_0000000000000003: function(arg0, arg1) {
const ret = makeMutClosure(arg0, arg1, __wasm_bindgen_func_elem_1978_12);
return ret;
},
__wbindgen_generic_0000000000000004: function(arg0, arg1) {
const ret = makeMutClosure(arg0, arg1, __wasm_bindgen_func_elem_1984);
return ret;
},
__wbindgen_generic_0000000000000005: function(arg0, arg1) {
const ret = getStringFromWasm0(arg0, arg1);
return ret;
},
__wbindgen_init_externref_table: function() {
const table = wasm.__wbindgen_externrefs;
table.set(0, undefined);
table.set(1024, undefined);
table.set(1025, null);
table.set(1026, true);
table.set(1027, false);
},
};
return {
__proto__: null,
"./otp_bg.js": import0,
};
}
function __wasm_bindgen_func_elem_1984(arg0, arg1) {
wasm.__wasm_bindgen_func_elem_1984(arg0, arg1);
}
function __wasm_bindgen_func_elem_1978(arg0, arg1, arg2) {
wasm.__wasm_bindgen_func_elem_1978(arg0, arg1, arg2);
}
function __wasm_bindgen_func_elem_1978_12(arg0, arg1, arg2) {
wasm.__wasm_bindgen_func_elem_1978_12(arg0, arg1, arg2);
}
function __wasm_bindgen_func_elem_537(arg0, arg1, arg2) {
const ret = wasm.__wasm_bindgen_func_elem_537(arg0, arg1, arg2);
if (ret[1]) {
throw takeFromExternrefTable0(ret[0]);
}
}
const __wbindgen_enum_ReadableStreamType = ["bytes"];
function addToExternrefTable0(obj) {
const idx = wasm.__wbindgen_export5();
wasm.__wbindgen_externrefs.set(idx, obj);
return idx;
}
const CLOSURE_DTORS = (typeof FinalizationRegistry === 'undefined')
? { register: () => {}, unregister: () => {} }
: new FinalizationRegistry(state => wasm.__wbindgen_export6(state.a, state.b));
function debugString(val) {
switch (typeof val) {
case 'number':
case 'boolean':
case 'undefined':
return `${val}`;
case 'string':
return JSON.stringify(val);
case 'bigint':
return `${val}n`;
case 'symbol':
return val.description !== undefined
? `Symbol(${val.description})`
: 'Symbol';
case 'function':
return typeof val.name === 'string' && val.name !== ''
? `Function(${val.name})`
: 'Function';
case 'object': {
if (val === null) {
return 'null';
}
if (Array.isArray(val)) {
return '[' + Array.from(val, debugString).join(', ') + ']';
}
if (val instanceof Error) {
return `${val.name}: ${val.message}\n${val.stack}`;
}
const toStringOutput = toString.call(val);
const className = /\[object ([^\]]+)\]/.exec(toStringOutput)?.[1];
if (className === undefined) {
return toStringOutput;
}
if (className === 'Object') {
try {
return 'Object(' + JSON.stringify(val) + ')';
} catch (_) {
return 'Object';
}
}
return className;
}
}
}
function getArrayU8FromWasm0(ptr, len) {
ptr = ptr >>> 0;
return getUint8ArrayMemory0().subarray(ptr / 1, ptr / 1 + len);
}
let cachedDataViewMemory0 = null;
function getDataViewMemory0() {
if (cachedDataViewMemory0 === null || cachedDataViewMemory0.buffer.detached === true || (cachedDataViewMemory0.buffer.detached === undefined && cachedDataViewMemory0.buffer !== wasm.memory.buffer)) {
cachedDataViewMemory0 = new DataView(wasm.memory.buffer);
}
return cachedDataViewMemory0;
}
function getStringFromWasm0(ptr, len) {
ptr = ptr >>> 0;
return decodeText(getUint8ArrayMemory0().subarray(ptr, ptr + len));
}
let cachedUint8ArrayMemory0 = null;
function getUint8ArrayMemory0() {
if (cachedUint8ArrayMemory0 === null || cachedUint8ArrayMemory0.byteLength === 0) {
cachedUint8ArrayMemory0 = new Uint8Array(wasm.memory.buffer);
}
return cachedUint8ArrayMemory0;
}
function handleError(f, args) {
try {
return f.apply(this, args);
} catch (e) {
const idx = addToExternrefTable0(e);
wasm.__wbindgen_export4(idx);
}
}
function isLikeNone(x) {
return x === undefined || x === null;
}
function makeMutClosure(arg0, arg1, f) {
const state = { a: arg0, b: arg1, cnt: 1 };
const real = (...args) => {
state.cnt++;
const a = state.a;
state.a = 0;
try {
return f(a, state.b, ...args);
} finally {
state.a = a;
real._wbg_cb_unref();
}
};
real._wbg_cb_unref = () => {
if (--state.cnt === 0) {
wasm.__wbindgen_export6(state.a, state.b);
state.a = 0;
CLOSURE_DTORS.unregister(state);
}
};
CLOSURE_DTORS.register(real, state, state);
return real;
}
function passStringToWasm0(arg, malloc, realloc) {
if (realloc === undefined) {
const buf = cachedTextEncoder.encode(arg);
const ptr = malloc(buf.length, 1) >>> 0;
getUint8ArrayMemory0().subarray(ptr, ptr + buf.length).set(buf);
WASM_VECTOR_LEN = buf.length;
return ptr;
}
let len = arg.length;
let ptr = malloc(len, 1) >>> 0;
const mem = getUint8ArrayMemory0();
let offset = 0;
for (; offset < len; offset++) {
const code = arg.charCodeAt(offset);
if (code > 0x7F) break;
mem[ptr + offset] = code;
}
if (offset !== len) {
if (offset !== 0) {
arg = arg.slice(offset);
}
ptr = realloc(ptr, len, len = offset + arg.length * 3, 1) >>> 0;
const view = getUint8ArrayMemory0().subarray(ptr + offset, ptr + len);
const ret = cachedTextEncoder.encodeInto(arg, view);
offset += ret.written;
ptr = realloc(ptr, len, offset, 1) >>> 0;
}
WASM_VECTOR_LEN = offset;
return ptr;
}
function takeFromExternrefTable0(idx) {
const value = wasm.__wbindgen_externrefs.get(idx);
wasm.__wbindgen_export7(idx);
return value;
}
let cachedTextDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
cachedTextDecoder.decode();
const MAX_SAFARI_DECODE_BYTES = 2146435072;
let numBytesDecoded = 0;
function decodeText(bytes) {
numBytesDecoded += bytes.length;
if (numBytesDecoded >= MAX_SAFARI_DECODE_BYTES) {
cachedTextDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
cachedTextDecoder.decode();
numBytesDecoded = bytes.length;
}
return cachedTextDecoder.decode(bytes);
}
const cachedTextEncoder = new TextEncoder();
if (!('encodeInto' in cachedTextEncoder)) {
cachedTextEncoder.encodeInto = function (arg, view) {
const buf = cachedTextEncoder.encode(arg);
view.set(buf);
return {
read: arg.length,
written: buf.length
};
};
}
let WASM_VECTOR_LEN = 0;
let wasmModule, wasmInstance, wasm;
function __wbg_finalize_init(instance, module) {
wasmInstance = instance;
wasm = instance.exports;
wasmModule = module;
cachedDataViewMemory0 = null;
cachedUint8ArrayMemory0 = null;
wasm.__wbindgen_start();
return wasm;
}
async function __wbg_load(module, imports) {
if (typeof Response === 'function' && module instanceof Response) {
if (!module.ok) {
throw new Error(`failed to fetch Wasm: ${module.status} ${module.statusText} fetching '${module.url}'`);
}
if (typeof WebAssembly.instantiateStreaming === 'function') {
try {
return await WebAssembly.instantiateStreaming(module, imports);
} catch (e) {
const validResponse = expectedResponseType(module.type);
if (validResponse && module.headers.get('Content-Type') !== 'application/wasm') {
console.warn("`WebAssembly.instantiateStreaming` failed because your server does not serve Wasm with `application/wasm` MIME type. Falling back to `WebAssembly.instantiate` which is slower. Original error:\n", e);
} else { throw e; }
}
}
const bytes = await module.arrayBuffer();
return await WebAssembly.instantiate(bytes, imports);
} else {
const instance = await WebAssembly.instantiate(module, imports);
if (instance instanceof WebAssembly.Instance) {
return { instance, module };
} else {
return instance;
}
}
function expectedResponseType(type) {
switch (type) {
case 'basic': case 'cors': case 'default': return true;
}
return false;
}
}
function initSync(module) {
if (wasm !== undefined) return wasm;
if (module !== undefined) {
if (Object.getPrototypeOf(module) === Object.prototype) {
({module} = module)
} else {
console.warn('using deprecated parameters for `initSync()`; pass a single object instead')
}
}
const imports = __wbg_get_imports();
if (!(module instanceof WebAssembly.Module)) {
module = new WebAssembly.Module(module);
}
const instance = new WebAssembly.Instance(module, imports);
return __wbg_finalize_init(instance, module);
}
let __wbg_init_promise;
async function __wbg_init(module_or_path) {
if (wasm !== undefined) return wasm;
if (__wbg_init_promise === undefined) {
__wbg_init_promise = __wbg_init_once(module_or_path);
__wbg_init_promise.catch(() => { __wbg_init_promise = undefined; });
}
return __wbg_init_promise;
}
async function __wbg_init_once(module_or_path) {
if (module_or_path !== undefined) {
if (Object.getPrototypeOf(module_or_path) === Object.prototype) {
({module_or_path} = module_or_path)
} else {
console.warn('using deprecated parameters for the initialization function; pass a single object instead')
}
}
if (module_or_path === undefined) {
module_or_path = new URL('otp_bg.wasm', import.meta.url);
}
const imports = __wbg_get_imports();
if (typeof module_or_path === 'string' || (typeof Request === 'function' && module_or_path instanceof Request) || (typeof URL === 'function' && module_or_path instanceof URL)) {
module_or_path = fetch(module_or_path);
}
const { instance, module } = await __wbg_load(await module_or_path, imports);
return __wbg_finalize_init(instance, module);
}
export { initSync, __wbg_init as default };
