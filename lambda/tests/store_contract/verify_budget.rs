//! A client's verify budget across instances. Each instance keeps a lease
//! of the budget (units it added to the store's counter in one write, and
//! was granted only as far as the counter had them left) and spends it in
//! memory; the units granted to all instances together never exceed the
//! budget, however their writes interleave.

use super::guesses::LastCode;
use super::*;
use otp::domain::{CodeHasher, ManualClock, Policy};
use otp::service::{Client, Limits, Service, ServiceError};
use std::net::{IpAddr, Ipv4Addr};

/// Leases of up to four units (a sixteenth of it).
const BUDGET: u32 = 64;
const INSTANCES: usize = 4;
/// Each instance's verifies, one after another; the instances in step.
const ROUNDS: usize = 50;

pub(crate) async fn a_clients_verify_budget_holds_across_instances(store: Arc<dyn Store>) {
    let limits = Limits {
        verifies_per_ip_per_hour: BUDGET,
        ..Limits::default()
    };
    // A minute into an hour: every verify is charged to one hour's counter.
    let clock = ManualClock::new(SystemClock.now() / 3600 * 3600 + 60);
    let hasher = CodeHasher::ephemeral();
    let client = Client::at(Some(IpAddr::V4(Ipv4Addr::new(10, 7, 0, 1))));
    let round = Arc::new(Barrier::new(INSTANCES));
    let instances: Vec<_> = (0..INSTANCES)
        .map(|_| {
            let service = Service::new(
                store.clone(),
                Arc::new(LastCode::default()),
                Arc::new(clock.clone()),
                hasher.clone(),
                Policy::default(),
                limits.clone(),
            );
            let (client, round) = (client.clone(), round.clone());
            tokio::spawn(async move {
                let mut answered = 0;
                for _ in 0..ROUNDS {
                    // The instances' verifies go out together, so their
                    // leases race for the counter's last units.
                    round.wait().await;
                    // An unknown flow: every verify is charged, none approves.
                    match service
                        .verify("AAAAAAAAAAAAAAAAAAAAAA", "123456", client.clone())
                        .await
                    {
                        Err(ServiceError::UnknownFlow) => answered += 1,
                        Err(ServiceError::RateLimited { .. }) => {}
                        other => panic!("unexpected answer: {other:?}"),
                    }
                }
                answered
            })
        })
        .collect();
    let mut answered = 0;
    for instance in instances {
        answered += instance.await.unwrap();
    }
    assert!(
        answered <= BUDGET,
        "{answered} verifies were answered; the budget is {BUDGET}"
    );
    // Demand is past the budget, so every unit was granted; what an
    // instance leased and did not spend is at most a lease less one.
    let stranded = INSTANCES as u32 * (BUDGET / 16 - 1);
    assert!(
        answered >= BUDGET - stranded,
        "{answered} verifies were answered: more than {stranded} units were lost in leases"
    );
}
