//! Logical ids a provider gives its patients: opaque 16-hex-digit strings that reveal
//! neither the NHS number nor the population index, yet map back to the index in
//! constant time (a keyed bijection on 64 bits), so no table is needed.

use crate::rng::mix64;

const ODD: u64 = 0xD6E8_FEB8_6659_FD93;

/// The multiplicative inverse of [`ODD`] modulo 2^64 (Newton's iteration).
const INVERSE: u64 = {
    let mut inv = ODD;
    let mut i = 0;
    while i < 6 {
        inv = inv.wrapping_mul(2u64.wrapping_sub(ODD.wrapping_mul(inv)));
        i += 1;
    }
    inv
};

fn keys(seed: u64, provider: usize) -> (u64, u64) {
    let k = mix64(seed ^ mix64(provider as u64 + 0x5EED));
    (k, mix64(k))
}

/// The logical id of patient `index` at provider `provider`.
pub fn patient_id(seed: u64, provider: usize, index: usize) -> String {
    let (k1, k2) = keys(seed, provider);
    format!("{:016x}", ((index as u64) ^ k1).wrapping_mul(ODD) ^ k2)
}

/// The population index behind a logical id, if it is one this provider issued.
pub fn index_of(seed: u64, provider: usize, id: &str) -> Option<usize> {
    if id.len() != 16 {
        return None;
    }
    let y = u64::from_str_radix(id, 16).ok()?;
    let (k1, k2) = keys(seed, provider);
    let x = (y ^ k2).wrapping_mul(INVERSE) ^ k1;
    usize::try_from(x)
        .ok()
        .filter(|i| *i < crate::nhs_range::CAPACITY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_map_back_to_their_index() {
        assert_eq!(ODD.wrapping_mul(INVERSE), 1);
        for i in [0usize, 1, 77, 1_999_999] {
            let id = patient_id(4, 2, i);
            assert_eq!(index_of(4, 2, &id), Some(i));
        }
    }

    #[test]
    fn providers_and_seeds_give_different_ids() {
        assert_ne!(patient_id(1, 0, 5), patient_id(1, 1, 5));
        assert_ne!(patient_id(1, 0, 5), patient_id(2, 0, 5));
    }

    #[test]
    fn made_up_ids_are_not_patients() {
        assert_eq!(index_of(1, 0, "not-an-id"), None);
        assert_eq!(index_of(1, 0, "ffffffffffffffff"), None);
    }
}
