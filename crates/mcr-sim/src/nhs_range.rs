//! The bijection between a patient's index and their NHS number, in both directions in
//! constant time, so a population of two million needs no table.
//!
//! NHS numbers are taken from the blocks 999, 998 and 997 (in that order), which are not
//! issued to real people; the 999 block is the one test data conventionally uses. Stems
//! (the first nine digits) are read in groups of ten consecutive stems. Changing the last
//! stem digit moves the Modulus 11 sum through ten distinct residues, so at most one
//! stem in a group has no check digit: every group holds at least nine valid numbers,
//! and the population uses the first nine valid numbers of each group. Index 0 is
//! therefore 999 000 0018 (stem 999000000 has no check digit).

use mcr_model::NhsNumber;

/// Valid numbers used from each group of ten stems.
const PER_GROUP: u64 = 9;
/// Groups of ten stems in one three-digit block (999 000 000 … 999 999 999).
const GROUPS_PER_BLOCK: u64 = 100_000;
/// The blocks used, in order.
const BLOCKS: [u32; 3] = [999, 998, 997];

/// How many patients the numbering scheme can name (2.7 million).
pub const CAPACITY: usize = (PER_GROUP * GROUPS_PER_BLOCK * BLOCKS.len() as u64) as usize;

/// The NHS number of the patient at `index`, or `None` beyond [`CAPACITY`].
pub fn nhs_for_index(index: usize) -> Option<NhsNumber> {
    let index = index as u64;
    let group = index / PER_GROUP;
    let position = index % PER_GROUP;
    let block = *BLOCKS.get((group / GROUPS_PER_BLOCK) as usize)?;
    let first_stem = block * 1_000_000 + (group % GROUPS_PER_BLOCK) as u32 * 10;
    (first_stem..first_stem + 10)
        .filter_map(NhsNumber::from_stem)
        .nth(position as usize)
}

/// The index of the patient with NHS number `nhs`, if the scheme names it.
pub fn index_for_nhs(nhs: &NhsNumber) -> Option<usize> {
    let stem: u32 = nhs.as_digits()[..9].parse().ok()?;
    let block_number = BLOCKS.iter().position(|b| *b == stem / 1_000_000)? as u64;
    let first_stem = stem - stem % 10;
    let position = (first_stem..stem)
        .filter(|s| NhsNumber::from_stem(*s).is_some())
        .count() as u64;
    if position >= PER_GROUP {
        // The tenth valid number of a group with no invalid stem is never used.
        return None;
    }
    let group = block_number * GROUPS_PER_BLOCK + u64::from(stem % 1_000_000 / 10);
    Some((group * PER_GROUP + position) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_zero_is_the_documented_demo_number() {
        assert_eq!(nhs_for_index(0).unwrap().as_digits(), "9990000018");
    }

    #[test]
    fn the_mapping_round_trips_across_all_three_blocks() {
        for index in (0..3000).chain([899_999, 900_000, 1_999_999, CAPACITY - 1]) {
            let nhs = nhs_for_index(index).unwrap();
            assert_eq!(index_for_nhs(&nhs), Some(index), "index {index}");
        }
    }

    #[test]
    fn numbers_are_distinct_and_in_index_order() {
        let numbers: Vec<String> = (0..5000)
            .map(|i| nhs_for_index(i).unwrap().as_digits())
            .collect();
        assert!(numbers.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn numbers_outside_the_blocks_have_no_index() {
        assert_eq!(
            index_for_nhs(&NhsNumber::parse("9434765919").unwrap()),
            None
        );
        assert_eq!(nhs_for_index(CAPACITY), None);
    }

    #[test]
    fn a_tenth_valid_number_in_a_group_is_not_used() {
        let unused = (999_000_000u32..999_100_000)
            .step_by(10)
            .find_map(|first| {
                let valid: Vec<NhsNumber> = (first..first + 10)
                    .filter_map(NhsNumber::from_stem)
                    .collect();
                (valid.len() == 10).then(|| valid[9].clone())
            })
            .unwrap();
        assert_eq!(index_for_nhs(&unused), None);
    }
}
