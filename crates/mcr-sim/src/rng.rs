//! Deterministic randomness keyed by (seed, patient index, stream): any fact about any
//! patient can be recomputed on its own, in any order, on any thread, and is the same
//! every time. SplitMix64 underneath; no state is shared between patients.

/// A small deterministic random stream.
#[derive(Debug, Clone)]
pub struct Rng(u64);

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64's finaliser: a bijective 64-bit mix.
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    /// The stream for `stream` of patient `index` under `seed`.
    pub fn new(seed: u64, index: u64, stream: u64) -> Self {
        Self(mix64(
            mix64(seed.wrapping_add(GOLDEN)) ^ mix64(index.wrapping_mul(GOLDEN) ^ stream),
        ))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        mix64(self.0)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1).max(1) as u64) as i64
    }

    /// A uniform number in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// `true` with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A standard normal deviate (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.unit().max(f64::MIN_POSITIVE);
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// One item of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_key_gives_the_same_stream() {
        let a: Vec<u64> = (0..5).map(|_| Rng::new(1, 2, 3).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        let mut r = Rng::new(1, 2, 3);
        let mut s = Rng::new(1, 2, 3);
        assert_eq!(
            (0..10).map(|_| r.next_u64()).collect::<Vec<_>>(),
            (0..10).map(|_| s.next_u64()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn different_seeds_indexes_and_streams_differ() {
        let first = |s, i, t| Rng::new(s, i, t).next_u64();
        assert_ne!(first(1, 2, 3), first(2, 2, 3));
        assert_ne!(first(1, 2, 3), first(1, 3, 3));
        assert_ne!(first(1, 2, 3), first(1, 2, 4));
    }

    #[test]
    fn normal_deviates_have_roughly_zero_mean_and_unit_spread() {
        let mut r = Rng::new(7, 0, 0);
        let xs: Vec<f64> = (0..20_000).map(|_| r.normal()).collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64;
        assert!(mean.abs() < 0.05, "{mean}");
        assert!((var - 1.0).abs() < 0.05, "{var}");
    }
}
