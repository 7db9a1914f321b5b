//! Corrections of p-values for comparing several variants with one control.

use crate::error::Error;

/// Holm's step-down adjustment of `p_values` (one per comparison), in their input order:
/// statsmodels' `multipletests(p_values, method="holm")[1]`.
///
/// With the p-values sorted ascending as `p_(1) <= … <= p_(m)`, the adjusted `p_(j)` is
/// `min(1, max_{k <= j} (m - k + 1)·p_(k))`. Rejecting where the adjusted p-value is below α
/// keeps the chance of any false positive among the m comparisons below α, and is never less
/// powerful than Bonferroni's `m·p`.
///
/// # Errors
/// [`Error::Empty`] for no p-values; [`Error::InvalidPValue`] for one outside [0, 1] or NaN.
pub fn holm(p_values: &[f64]) -> Result<Vec<f64>, Error> {
    if p_values.is_empty() {
        return Err(Error::Empty);
    }
    if let Some((index, &value)) = p_values
        .iter()
        .enumerate()
        .find(|(_, p)| !(0.0..=1.0).contains(*p))
    {
        return Err(Error::InvalidPValue { index, value });
    }
    let mut order: Vec<usize> = (0..p_values.len()).collect();
    order.sort_by(|&i, &j| p_values[i].total_cmp(&p_values[j]));
    let mut adjusted = vec![0.0; p_values.len()];
    let mut running_max: f64 = 0.0;
    for (rank, &index) in order.iter().enumerate() {
        let factor = (p_values.len() - rank) as f64;
        running_max = running_max.max(factor * p_values[index]);
        adjusted[index] = running_max.min(1.0);
    }
    Ok(adjusted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_input() {
        assert_eq!(holm(&[]), Err(Error::Empty));
        assert_eq!(
            holm(&[0.1, 1.5]),
            Err(Error::InvalidPValue {
                index: 1,
                value: 1.5
            })
        );
        assert_eq!(
            holm(&[-0.0001]),
            Err(Error::InvalidPValue {
                index: 0,
                value: -0.0001
            })
        );
        assert!(matches!(
            holm(&[0.1, f64::NAN]),
            Err(Error::InvalidPValue { index: 1, .. })
        ));
    }

    #[test]
    fn step_down() {
        assert_eq!(holm(&[0.3]), Ok(vec![0.3]));
        // 4·0.005, 3·0.01, max(2·0.03, 0.03), max(1·0.04, 0.06), in input order.
        assert_eq!(
            holm(&[0.01, 0.04, 0.03, 0.005]),
            Ok(vec![0.03, 0.06, 0.06, 0.02])
        );
        // Ties get one value; nothing goes above 1.
        assert_eq!(holm(&[0.4, 0.4, 0.9]), Ok(vec![1.0, 1.0, 1.0]));
        assert_eq!(holm(&[0.01, 0.01]), Ok(vec![0.02, 0.02]));
        assert_eq!(holm(&[0.0, 1.0]), Ok(vec![0.0, 1.0]));
    }
}
