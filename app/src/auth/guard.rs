//! Limits on sign-in work: how many password checks run at once, and how often one client
//! address may try.
//!
//! A password check costs 19 MiB and tens of milliseconds of a core (argon2id), so unbounded
//! parallel sign-ins exhaust the server's memory; the database throttle counts only failures,
//! so it does not stop a flood of attempts from one address either.

use crate::error::AppError;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock};
use std::{net::IpAddr, num::NonZeroU32, sync::Arc, time::Duration};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// One per process, shared by every request.
pub struct SignInGuard {
    hashing: Arc<Semaphore>,
    hashing_wait: Duration,
    per_address: DefaultKeyedRateLimiter<IpAddr>,
}

/// Addresses remembered before old ones are forgotten (an address that stopped trying needs
/// no state once its allowance is whole again).
const REMEMBERED_ADDRESSES: usize = 10_000;

impl SignInGuard {
    /// At most `concurrent_checks` password checks at once (a request waits up to
    /// `hashing_wait` for a turn), and `per_minute` sign-in attempts per client address.
    pub fn new(concurrent_checks: usize, hashing_wait: Duration, per_minute: u32) -> Self {
        let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        Self {
            hashing: Arc::new(Semaphore::new(concurrent_checks.max(1))),
            hashing_wait,
            per_address: RateLimiter::keyed(Quota::per_minute(per_minute)),
        }
    }

    /// Counts an attempt from `address`.
    ///
    /// Errors: `Throttled` when the address used its allowance; the wait is when one more
    /// attempt is allowed.
    pub fn check_address(&self, address: IpAddr) -> Result<(), AppError> {
        if self.per_address.len() > REMEMBERED_ADDRESSES {
            self.per_address.retain_recent();
        }
        self.per_address.check_key(&address).map_err(|refused| {
            let wait = refused.wait_time_from(governor::clock::DefaultClock::default().now());
            AppError::Throttled { retry_after_secs: wait.as_secs().max(1) }
        })
    }

    /// A turn to check a password, held until the check ends.
    ///
    /// Errors: `Busy` when every turn stayed taken for the whole wait: the request fails fast
    /// rather than queue memory the server does not have.
    pub async fn hashing_turn(&self) -> Result<OwnedSemaphorePermit, AppError> {
        match tokio::time::timeout(self.hashing_wait, self.hashing.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(AppError::Busy { retry_after_secs: 2 }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_refused_once_it_used_its_allowance_and_others_are_not() {
        let guard = SignInGuard::new(1, Duration::ZERO, 3);
        let one: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            guard.check_address(one).unwrap();
        }
        match guard.check_address(one) {
            Err(AppError::Throttled { retry_after_secs }) => {
                assert!((1..=60).contains(&retry_after_secs))
            }
            other => panic!("expected throttling, got {other:?}"),
        }
        guard.check_address(other).unwrap();
    }

    #[tokio::test]
    async fn a_full_set_of_turns_answers_busy_after_the_wait() {
        let guard = SignInGuard::new(1, Duration::from_millis(20), 10);
        let held = guard.hashing_turn().await.unwrap();
        assert_eq!(guard.hashing_turn().await.unwrap_err(), AppError::Busy { retry_after_secs: 2 });
        drop(held);
        let _turn = guard.hashing_turn().await.unwrap();
    }
}
