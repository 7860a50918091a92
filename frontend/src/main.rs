//! Mounts the page into `<body>`; everything else lives in the library.

fn main() {
    #[cfg(target_arch = "wasm32")]
    leptos::mount::mount_to_body(otp_frontend::App);
}
