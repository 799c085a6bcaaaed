//! Time arithmetic that never panics: library code adds durations from
//! users and peers (`Duration::MAX` included) to instants.

use std::time::Duration;

/// `at + delay`, or the latest instant representable on the way there:
/// halves what is left to add until it fits (so `Duration::MAX` saturates
/// instead of panicking, on every platform's clock).
pub(crate) fn saturating_add<T: Copy>(
    at: T,
    delay: Duration,
    add: fn(&T, Duration) -> Option<T>,
) -> T {
    let (mut at, mut left) = (at, delay);
    while !left.is_zero() {
        match add(&at, left) {
            Some(later) => return later,
            None => {
                let half = left / 2;
                if let Some(later) = add(&at, half) {
                    at = later;
                }
                left -= half;
                if half.is_zero() {
                    break;
                }
            }
        }
    }
    at
}
