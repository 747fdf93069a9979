//! Medians of measured values. Two kinds, for two uses:
//! - [`median`]: the middle of a sample (the mean of the two middle values when there
//!   is an even number), for a statistic of the sample;
//! - [`upper_median`]: the upper of the two middle values, always one of the values,
//!   for a prediction that must be something a run can do (one of the reconnection
//!   times the client model finds; `model::phase` picks its pause among the phases'
//!   the same way) and for a reference value taken from the runs themselves.
//!
//! Both sort in place and return None on an empty slice.

/// The middle of `v`: the middle value, or the mean of the two middle ones.
pub fn median(v: &mut [f64]) -> Option<f64> {
    let m = upper_median(v)?;
    let n = v.len();
    if n.is_multiple_of(2) {
        Some((v[n / 2 - 1] + m) / 2.0)
    } else {
        Some(m)
    }
}

/// The upper middle value of `v`: element `len / 2` once sorted.
pub fn upper_median(v: &mut [f64]) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_odd_sample_has_its_middle_value_for_both() {
        let mut v = [5.0, 1.0, 3.0];
        assert_eq!(median(&mut v), Some(3.0));
        assert_eq!(upper_median(&mut v), Some(3.0));
    }

    #[test]
    fn an_even_sample_averages_or_takes_the_upper_middle() {
        let mut v = [4.0, 1.0, 10.0, 2.0];
        assert_eq!(median(&mut v), Some(3.0));
        assert_eq!(upper_median(&mut v), Some(4.0));
    }

    #[test]
    fn nothing_has_no_median() {
        assert_eq!(median(&mut []), None);
        assert_eq!(upper_median(&mut []), None);
    }
}
