//! The verification page: ask for an address, send a code, check it.
//!
//! Layout:
//! - [`flow`]: the screens and every transition; plain Rust, tested on the host
//! - [`countdown`]: the wait before another code may be asked for
//! - [`i18n`]: the page's words in the person's language (catalogs from `locales/`)
//! - [`messages`]: what the page says, as messages of the catalog
//! - [`wire`]: calls and how answers are read
//! - `language` (browser only): the language spoken, its catalog, and words
//!   from the browser's `Intl`
//! - `app` (browser only): the Leptos component that renders a [`flow::Flow`]
//!   and performs its calls
//! - `browser` (browser only): the service's calls (`fetch`), the
//!   proof-of-work solver, the focus, the clock, random ids, the page's address

pub mod countdown;
pub mod flow;
pub mod i18n;
pub mod messages;
pub mod wire;

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod browser;
#[cfg(target_arch = "wasm32")]
mod language;
#[cfg(target_arch = "wasm32")]
pub use app::App;

/// A free-list allocator made for small single-threaded WebAssembly: the
/// standard one (dlmalloc) costs about 1.5 KB of the page's download.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    // SAFETY: the page's WebAssembly runs on one thread (no atomics, no
    // shared memory), the one condition `AssumeSingleThreaded` asks for.
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };
