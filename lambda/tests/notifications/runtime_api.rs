//! The Lambda Runtime API as far as a function uses it: hands out `events`
//! one by one on `next` (then holds the request open, as Lambda does between
//! invocations) and records how each invocation ended.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

#[derive(Default)]
pub struct Invocations {
    events: Mutex<VecDeque<(String, String)>>,
    /// `(request id, "response" or "error")`, in order.
    pub ended: Mutex<Vec<(String, &'static str)>>,
}

pub async fn serve(events: Vec<(&str, String)>) -> (SocketAddr, Arc<Invocations>) {
    let state = Arc::new(Invocations::default());
    state
        .events
        .lock()
        .unwrap()
        .extend(events.into_iter().map(|(id, body)| (id.to_owned(), body)));
    let app = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(|s, id| ended(s, id, "response")),
        )
        .route(
            "/2018-06-01/runtime/invocation/{id}/error",
            post(|s, id| ended(s, id, "error")),
        )
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, state)
}

async fn next(State(state): State<Arc<Invocations>>) -> impl IntoResponse {
    let Some((id, body)) = state.events.lock().unwrap().pop_front() else {
        return std::future::pending().await;
    };
    let deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        + 15_000;
    (
        [
            ("lambda-runtime-aws-request-id", id),
            ("lambda-runtime-deadline-ms", deadline.to_string()),
            (
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:eu-west-1:123456789012:function:otp-notifications".into(),
            ),
            ("content-type", "application/json".into()),
        ],
        body,
    )
}

async fn ended(
    State(state): State<Arc<Invocations>>,
    Path(id): Path<String>,
    how: &'static str,
) -> StatusCode {
    state.ended.lock().unwrap().push((id, how));
    StatusCode::ACCEPTED
}
