//! From settings to a running service: clients are built once here and
//! shared by every request. The binary reads the settings, starts logging
//! and metrics, and hands over to [`run`] (the page, the API and the OpenID
//! Connect endpoints, on Lambda or as a local server), [`run_notifications`]
//! (SES notifications on Lambda) or [`suppression_command`]
//! (`otp suppression …`).

use crate::domain::{Clock, SystemClock};
use crate::http;
use crate::mailer::message::MessageTemplate;
use crate::mailer::{Mailer, OutboxMailer, SmtpMailer};
use crate::oidc::{Provider, ProviderConfig};
use crate::service::Service;
use crate::settings::{ListSettings, MailSettings, Runtime, Settings, StoreSettings};
use crate::store::{DynamoStore, MemoryStore, Store};
use crate::suppression::{SuppressionList, cli};
use anyhow::Context;
use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_lambda_events::event::sns::SnsEvent;
use secrecy::ExposeSecret;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// The parts every request shares: the verification service and the
/// OpenID Connect provider, on one store.
pub struct Parts {
    pub service: Arc<Service>,
    pub provider: Arc<Provider>,
}

/// Builds the store, the mailer, the service that ties them together and
/// the provider beside it; `issuer` is the provider's (see
/// [`crate::settings::OidcSettings::issuer_for`]).
pub async fn build(
    settings: &Settings,
    clock: Arc<dyn Clock>,
    issuer: String,
) -> anyhow::Result<Parts> {
    let store = build_store(&settings.store, settings.store_timeout, |config| config).await?;
    build_with_store(settings, store, clock, issuer).await
}

/// [`build`] on a store made beforehand (see [`build_store`]; tests share
/// one between the service and the notifications handler).
pub async fn build_with_store(
    settings: &Settings,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    issuer: String,
) -> anyhow::Result<Parts> {
    let mailer = build_mailer(settings).await?;
    let service = Arc::new(Service::new(
        store.clone(),
        mailer,
        clock.clone(),
        settings.hasher.clone(),
        settings.policy.clone(),
        settings.limits.clone(),
    ));
    let provider = Arc::new(Provider::new(
        store,
        clock,
        ProviderConfig {
            issuer,
            clients: settings.oidc.clients.clone(),
            keys: settings.oidc.keys.clone(),
            subject_key: settings.oidc.subject_key.clone(),
            hasher: settings.hasher.clone(),
            ttl_grace: settings.policy.ttl_grace.as_secs(),
        },
        service.gate(),
    ));
    Ok(Parts { service, provider })
}

/// The whole application as a router, as [`build`] makes its parts.
pub async fn build_router(
    settings: &Settings,
    clock: Arc<dyn Clock>,
    issuer: String,
) -> anyhow::Result<axum::Router> {
    let parts = build(settings, clock, issuer).await?;
    Ok(http::app(
        parts.service,
        parts.provider,
        settings.http_options(),
    ))
}

/// Says at start which apps may sign people in, and where keys come from.
fn log_provider(settings: &Settings, issuer: &str) {
    tracing::info!(
        issuer,
        apps = %settings.oidc.clients.describe(),
        keys = settings.oidc.describe_keys(),
        "OpenID Connect provider"
    );
    if settings.oidc.subject_key_generated {
        tracing::info!(
            "subject key generated for this process (OTP_SUBJECT_KEY unset): `sub` changes after a restart"
        );
    }
}

/// The store `store` names: memory, or DynamoDB with every call bounded by
/// `timeout`, retries included. `configure` may add to the DynamoDB
/// client's configuration (tests record every call with an interceptor); the
/// memory store ignores it.
///
/// The DynamoDB client is warmed in the background ([`DynamoStore::warm`]):
/// the start does not wait for it, and an instance started ahead of its
/// first request finds a connection open.
pub async fn build_store(
    store: &StoreSettings,
    timeout: Duration,
    configure: impl FnOnce(aws_sdk_dynamodb::config::Builder) -> aws_sdk_dynamodb::config::Builder,
) -> anyhow::Result<Arc<dyn Store>> {
    let StoreSettings::DynamoDb {
        table,
        endpoint,
        create_table,
    } = store
    else {
        return Ok(Arc::new(MemoryStore::new()));
    };
    // One deadline for a whole call, retries included, so a store outage
    // turns into a 503 within `OTP_STORE_TIMEOUT_MS`.
    let timeouts = TimeoutConfig::builder()
        .operation_timeout(timeout)
        .operation_attempt_timeout(timeout / 2)
        .connect_timeout(timeout / 2)
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(timeouts)
        .retry_config(RetryConfig::standard().with_max_attempts(2));
    if let Some(endpoint) = endpoint {
        loader = loader.endpoint_url(endpoint);
    }
    let config = loader.load().await;
    let client = aws_sdk_dynamodb::Client::from_conf(
        configure(aws_sdk_dynamodb::config::Builder::from(&config)).build(),
    );
    if *create_table {
        // Creating a table takes seconds (DynamoDB Local's first call warms
        // its JVM), far beyond the per-request deadline.
        let admin = aws_sdk_dynamodb::config::Builder::from(&config)
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_timeout(Duration::from_secs(60))
                    .build(),
            )
            .build();
        DynamoStore::create_table(&aws_sdk_dynamodb::Client::from_conf(admin), table)
            .await
            .with_context(|| format!("Failed to create the DynamoDB table `{table}`"))?;
    }
    let store = DynamoStore::new(client, table.clone());
    let warming = store.clone();
    tokio::spawn(async move {
        if let Err(e) = warming.warm().await {
            tracing::warn!(
                error = format!("{:#}", anyhow::Error::new(e)),
                "DynamoDB did not answer at start; each request will try again"
            );
        }
    });
    Ok(Arc::new(store))
}

async fn build_mailer(settings: &Settings) -> anyhow::Result<Arc<dyn Mailer>> {
    let template = MessageTemplate {
        from: settings.mail_from.clone(),
        product: settings.product_name.clone(),
        web_host: settings.web_host.clone(),
    };
    Ok(match &settings.mail {
        MailSettings::Outbox { dir } => Arc::new(OutboxMailer::new(dir.clone(), template)),
        MailSettings::Smtp { url, ca_file } => {
            let ca = match ca_file {
                Some(path) => Some(std::fs::read(path).with_context(|| {
                    format!("OTP_SMTP_CA_FILE: failed to read {}", path.display())
                })?),
                None => None,
            };
            let mailer = SmtpMailer::from_url_with_ca(
                url.expose_secret(),
                ca,
                template,
                settings.smtp_timeout,
            )
            .context("OTP_SMTP_URL is not a usable SMTP URL")?
            .with_configuration_set(settings.ses_configuration_set.clone());
            let mailer = Arc::new(mailer);
            // Connects (TLS and login included) in the background and leaves
            // the connection in the pool for the first code; a failure is
            // logged with its cause, and each send tries again.
            let warming = mailer.clone();
            tokio::spawn(async move {
                if warming.check().await.is_err() {
                    tracing::warn!(
                        server = warming.server(),
                        "the SMTP relay did not accept a connection at start; each send will try again"
                    );
                }
            });
            mailer
        }
    })
}

/// A local server bound to its port, ready to run; tests bind port 0.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    issuer: String,
}

impl Application {
    /// Binds first: locally, the issuer is the address bound (tests bind
    /// port 0) unless `OTP_ISSUER` says otherwise.
    pub async fn build(settings: &Settings, clock: Arc<dyn Clock>) -> anyhow::Result<Application> {
        let listener = Application::bind(settings).await?;
        let store = build_store(&settings.store, settings.store_timeout, |config| config).await?;
        Application::serve_on(listener, settings, clock, store).await
    }

    /// [`Application::build`] on a store made beforehand (see [`build_store`]).
    pub async fn build_with_store(
        settings: &Settings,
        clock: Arc<dyn Clock>,
        store: Arc<dyn Store>,
    ) -> anyhow::Result<Application> {
        let listener = Application::bind(settings).await?;
        Application::serve_on(listener, settings, clock, store).await
    }

    async fn bind(settings: &Settings) -> anyhow::Result<TcpListener> {
        TcpListener::bind(settings.bind)
            .await
            .with_context(|| format!("Failed to listen on {} (OTP_BIND)", settings.bind))
    }

    async fn serve_on(
        listener: TcpListener,
        settings: &Settings,
        clock: Arc<dyn Clock>,
        store: Arc<dyn Store>,
    ) -> anyhow::Result<Application> {
        let bound = listener
            .local_addr()
            .context("The listener has no address")?;
        let issuer = settings.oidc.issuer_for(bound);
        let parts = build_with_store(settings, store, clock, issuer.clone()).await?;
        let router = http::app(parts.service, parts.provider, settings.http_options());
        Ok(Application {
            listener,
            router,
            issuer,
        })
    }

    /// The provider's issuer.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
    }
}

/// Runs on Lambda or as a local server, as the settings say.
pub async fn run(settings: Settings) -> anyhow::Result<()> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    match settings.runtime {
        Runtime::Lambda => {
            for warning in settings.warnings() {
                tracing::warn!("{warning}");
            }
            if let Some(header) = &settings.client_ip_header {
                tracing::info!(%header, "client addresses are read from this header only");
            }
            if settings.edge.origin_secret.is_some() {
                tracing::info!(
                    "requests without the front door's X-Origin-Verify secret are refused (403)"
                );
            }
            let issuer = settings.oidc.issuer_for(settings.bind);
            log_provider(&settings, &issuer);
            let router = build_router(&settings, clock, issuer).await?;
            lambda_http::run(router)
                .await
                .map_err(|e| anyhow::anyhow!("Lambda runtime stopped: {e}"))
        }
        Runtime::Local => {
            let app = Application::build(&settings, clock).await?;
            let addr = app.local_addr();
            tracing::info!(
                store = describe_store(&settings.store),
                mail = %describe_mail(&settings.mail),
                "serving on http://{addr}"
            );
            log_provider(&settings, app.issuer());
            app.run_until(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .context("The local server stopped")
        }
    }
}

/// The suppression list over the store `settings` name.
pub async fn build_suppression_list(
    settings: &ListSettings,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<SuppressionList> {
    let store = build_store(&settings.store, settings.store_timeout, |config| config).await?;
    Ok(SuppressionList::new(
        store,
        settings.hasher.clone(),
        clock,
        settings.suppression,
    ))
}

/// The notifications handler on Lambda (`OTP_HANDLER=notifications`): SNS
/// deliveries of SES bounces and complaints. A store failure fails the
/// invocation, so Lambda retries it (twice by default, then drops it or
/// hands it to a failure destination if one is configured); anything else
/// succeeds.
pub async fn run_notifications(settings: ListSettings) -> anyhow::Result<()> {
    if settings.runtime != Runtime::Lambda {
        anyhow::bail!(
            "OTP_HANDLER=notifications runs on AWS Lambda only; locally, use `otp suppression`"
        );
    }
    let list = build_suppression_list(&settings, Arc::new(SystemClock)).await?;
    tracing::info!(
        bounce_days = settings.suppression.bounce.as_secs() / 86_400,
        complaint_days = settings.suppression.complaint.as_secs() / 86_400,
        "taking SES notifications"
    );
    let list = &list;
    lambda_http::lambda_runtime::run(lambda_http::service_fn(
        move |event: lambda_http::LambdaEvent<SnsEvent>| async move {
            let tally = list.handle(&event.payload).await?;
            tracing::info!(
                suppressed = tally.suppressed,
                ignored = tally.ignored,
                malformed = tally.malformed,
                "notifications handled"
            );
            Ok::<(), lambda_http::Error>(())
        },
    ))
    .await
    .map_err(|e| anyhow::anyhow!("Lambda runtime stopped: {e}"))
}

/// `otp suppression …`: runs one command against the configured table and
/// prints its answer.
pub async fn suppression_command(args: &[String]) -> anyhow::Result<()> {
    let command = cli::parse(args).map_err(|usage| anyhow::anyhow!("{usage}"))?;
    let settings = ListSettings::for_command_from_env().context("configuration error")?;
    let list = build_suppression_list(&settings, Arc::new(SystemClock)).await?;
    println!("{}", cli::run(&list, &command).await?);
    Ok(())
}

fn describe_store(store: &StoreSettings) -> &str {
    match store {
        StoreSettings::Memory => "memory (flows are lost on restart)",
        StoreSettings::DynamoDb { table, .. } => table,
    }
}

fn describe_mail(mail: &MailSettings) -> String {
    match mail {
        MailSettings::Outbox { dir } => format!(
            "outbox, codes printed here and written to {}/",
            dir.display()
        ),
        MailSettings::Smtp { .. } => "smtp".into(),
    }
}
