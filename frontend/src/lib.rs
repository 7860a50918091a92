//! The verification page: ask for an address, send a code, check it.
//!
//! Layout:
//! - [`flow`]: the screens and every transition; plain Rust, tested on the host
//! - [`countdown`]: the wait before another code may be asked for
//! - [`messages`]: the sentences the page shows
//! - [`wire`]: calls and how answers are read
//! - `app` (browser only): the Leptos component that renders a [`flow::Flow`]
//!   and performs its calls with `gloo-net`
//! - `alloc` (browser only): a small memory allocator, for the page's weight

#[cfg(target_arch = "wasm32")]
mod alloc;
pub mod countdown;
pub mod flow;
pub mod messages;
pub mod wire;

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
pub use app::App;

#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: alloc::Allocator = alloc::Allocator::new();
