//! Small least-squares fits with 95 % confidence intervals (Student's t from statrs).

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};

/// A fitted value with its 95 % confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The estimate.
    pub value: f64,
    /// 95 % confidence interval, low end.
    pub ci95_lo: f64,
    /// 95 % confidence interval, high end.
    pub ci95_hi: f64,
    /// Observations it rests on.
    pub n: usize,
}

impl Estimate {
    /// A value stated, not fitted (no interval, no observations).
    pub fn assumed(value: f64) -> Self {
        Self {
            value,
            ci95_lo: value,
            ci95_hi: value,
            n: 0,
        }
    }
}

fn t975(dof: usize) -> f64 {
    if dof == 0 {
        return f64::INFINITY;
    }
    StudentsT::new(0.0, 1.0, dof as f64).map_or(1.96, |t| t.inverse_cdf(0.975))
}

/// The mean of `xs` with its confidence interval.
pub fn mean(xs: &[f64]) -> Option<Estimate> {
    let n = xs.len();
    if n == 0 {
        return None;
    }
    let m = xs.iter().sum::<f64>() / n as f64;
    let half = if n > 1 {
        let var = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64;
        t975(n - 1) * (var / n as f64).sqrt()
    } else {
        f64::INFINITY
    };
    Some(Estimate {
        value: m,
        ci95_lo: m - half,
        ci95_hi: m + half,
        n,
    })
}

/// Ordinary least squares `y = X b`; returns the coefficients with intervals, or None
/// when there are too few rows or the regressors are collinear.
pub fn ols(x: &[Vec<f64>], y: &[f64]) -> Option<Vec<Estimate>> {
    let n = y.len();
    let k = x.first()?.len();
    if n < k || x.iter().any(|r| r.len() != k) {
        return None;
    }
    // Normal equations (X'X) b = X'y, solved with the inverse so the
    // coefficient variances come out of the same matrix.
    let mut xtx = vec![vec![0.0; k]; k];
    let mut xty = vec![0.0; k];
    for (row, yi) in x.iter().zip(y) {
        for i in 0..k {
            xty[i] += row[i] * yi;
            for j in 0..k {
                xtx[i][j] += row[i] * row[j];
            }
        }
    }
    let inv = invert(xtx)?;
    let b: Vec<f64> = (0..k)
        .map(|i| (0..k).map(|j| inv[i][j] * xty[j]).sum())
        .collect();
    let rss: f64 = x
        .iter()
        .zip(y)
        .map(|(row, yi)| {
            let fit: f64 = row.iter().zip(&b).map(|(a, c)| a * c).sum();
            (yi - fit).powi(2)
        })
        .sum();
    let dof = n - k;
    let s2 = if dof > 0 {
        rss / dof as f64
    } else {
        f64::INFINITY
    };
    let t = t975(dof);
    Some(
        (0..k)
            .map(|i| {
                let half = t * (s2 * inv[i][i]).max(0.0).sqrt();
                Estimate {
                    value: b[i],
                    ci95_lo: b[i] - half,
                    ci95_hi: b[i] + half,
                    n,
                }
            })
            .collect(),
    )
}

fn invert(mut a: Vec<Vec<f64>>) -> Option<Vec<Vec<f64>>> {
    let k = a.len();
    let mut inv: Vec<Vec<f64>> = (0..k)
        .map(|i| (0..k).map(|j| (i == j) as u8 as f64).collect())
        .collect();
    for c in 0..k {
        let p = (c..k).max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))?;
        if a[p][c].abs() < 1e-12 * (1.0 + a[c][c].abs()) {
            return None;
        }
        a.swap(c, p);
        inv.swap(c, p);
        let d = a[c][c];
        for j in 0..k {
            a[c][j] /= d;
            inv[c][j] /= d;
        }
        for r in 0..k {
            if r != c {
                let f = a[r][c];
                for j in 0..k {
                    a[r][j] -= f * a[c][j];
                    inv[r][j] -= f * inv[c][j];
                }
            }
        }
    }
    Some(inv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_a_line_with_intervals() {
        let x: Vec<Vec<f64>> = (0..20).map(|i| vec![1.0, i as f64]).collect();
        let y: Vec<f64> = (0..20)
            .map(|i| 3.0 + 2.0 * i as f64 + if i % 2 == 0 { 0.1 } else { -0.1 })
            .collect();
        let b = ols(&x, &y).unwrap();
        assert!((b[0].value - 3.0).abs() < 0.1 && (b[1].value - 2.0).abs() < 0.01);
        assert!(b[1].ci95_lo < 2.0 && b[1].ci95_hi > 2.0);
        assert!(
            ols(
                &[vec![1.0, 1.0], vec![2.0, 2.0], vec![3.0, 3.0]],
                &[1.0, 2.0, 3.0]
            )
            .is_none()
        );
    }

    #[test]
    fn mean_interval_widens_with_spread() {
        let a = mean(&[1.0, 1.1, 0.9, 1.0]).unwrap();
        let b = mean(&[0.0, 2.0, 0.5, 1.5]).unwrap();
        assert!((a.value - 1.0).abs() < 1e-12 && (b.value - 1.0).abs() < 1e-12);
        assert!(b.ci95_hi - b.ci95_lo > a.ci95_hi - a.ci95_lo);
        assert!(mean(&[]).is_none());
    }
}
