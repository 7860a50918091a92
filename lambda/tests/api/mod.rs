//! The API over real HTTP, in the person's order: send, read the mail, verify.

mod abuse;
mod bad_input;
mod errors;
mod faults;
mod flow;
mod languages;
mod limits;
mod openapi;
mod owner;
mod resend;
mod rotation;
mod sign_in;
