//! A self-blinded, randomised N-of-1 trial (is it the drug, or the expectation?): its schedule
//! of blocks, and its analysis once unblinded. Pure: the random order of each block comes from
//! the caller (a cryptographically random bit per block, drawn and sealed by the app), and the
//! analysis takes the days as observed.
//!
//! The design: `blocks` blocks, each an active and a placebo period of `period_days` days in a
//! random order, with `washout_days` between periods whose days are not analysed (the carry-over
//! of the previous period). The analysis (`../shared/reference/nof1.md`):
//! - the effect: mean outcome on active days minus placebo days, with a randomisation test over
//!   the actual scheme (every block's order flipped: exact up to [`EXACT_BLOCKS`] blocks, a
//!   seeded Monte Carlo sample beyond) and a 95 % Welch interval over the days;
//! - a Bayesian estimate with an AR(1) error and a time trend ([`bayes`]), and the probability
//!   that the effect is larger than the smallest change that matters to the person;
//! - the blind: how often the day's guess was right against chance (exact binomial test), and
//!   the effect among the days whose guess was wrong or "don't know" (after Szigeti et al. eLife
//!   2021: an effect that is there only when the person guessed right may be expectation).

use crate::insights::{Welch, welch};
use crate::random::SplitMix;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use statrs::distribution::{Binomial, Discrete};

/// Up to this many blocks every allocation is enumerated (2^16 = 65 536).
pub const EXACT_BLOCKS: usize = 16;
/// Beyond it, this many allocations are drawn.
pub const MONTE_CARLO: usize = 20_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    Active,
    Placebo,
}

impl Condition {
    fn other(self) -> Condition {
        match self {
            Condition::Active => Condition::Placebo,
            Condition::Placebo => Condition::Active,
        }
    }
}

/// What the person thought they took that day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Guess {
    Active,
    Placebo,
    DontKnow,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Design {
    pub start: Date,
    pub blocks: u32,
    pub period_days: u32,
    pub washout_days: u32,
}

/// One day of the trial's schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Day {
    pub date: Date,
    pub block: usize,
    /// `None` on a washout day.
    pub condition: Option<Condition>,
}

impl Design {
    /// The trial's length in days.
    pub fn days(&self) -> u32 {
        self.blocks * 2 * (self.period_days + self.washout_days)
    }

    /// Every day in order; `active_first[b]` says whether block `b` starts with the active
    /// period. Each period is followed by its washout days.
    pub fn schedule(&self, active_first: &[bool]) -> Vec<Day> {
        let mut out = Vec::new();
        let mut date = self.start;
        for (b, first) in active_first.iter().take(self.blocks as usize).enumerate() {
            let one = if *first {
                Condition::Active
            } else {
                Condition::Placebo
            };
            for c in [one, one.other()] {
                for k in 0..self.period_days + self.washout_days {
                    out.push(Day {
                        date,
                        block: b,
                        condition: (k < self.period_days).then_some(c),
                    });
                    date = date.tomorrow().unwrap_or(date);
                }
            }
        }
        out
    }
}

/// One analysed day: its block and condition (from the unblinded allocation), its outcome, and
/// the guess made that day.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Observation {
    pub block: usize,
    pub condition: Condition,
    pub outcome: f64,
    pub guess: Option<Guess>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Blinding {
    /// Days with an active or placebo guess.
    pub guessed: usize,
    pub correct: usize,
    pub dont_know: usize,
    /// Exact two-sided binomial test of the correct rate against 1/2.
    pub p_value: f64,
    /// The effect among days whose guess was wrong or "don't know".
    pub effect_when_not_guessed: Option<Welch>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    pub active_days: usize,
    pub placebo_days: usize,
    /// Mean active − mean placebo.
    pub effect: f64,
    pub interval: Option<Welch>,
    /// Two-sided randomisation test over the block orders.
    pub p_value: f64,
    /// Whether every allocation was enumerated (else a Monte Carlo sample).
    pub exact: bool,
    pub allocations: usize,
    pub blinding: Blinding,
}

fn effect(obs: &[Observation], flipped: impl Fn(usize) -> bool) -> Option<f64> {
    let (mut sa, mut na, mut sp, mut np) = (0.0, 0usize, 0.0, 0usize);
    for o in obs {
        let c = if flipped(o.block) {
            o.condition.other()
        } else {
            o.condition
        };
        match c {
            Condition::Active => {
                sa += o.outcome;
                na += 1;
            }
            Condition::Placebo => {
                sp += o.outcome;
                np += 1;
            }
        }
    }
    (na > 0 && np > 0).then(|| sa / na as f64 - sp / np as f64)
}

/// The exact two-sided binomial test of `k` successes in `n` at 1/2: the probability of an
/// outcome no more likely than the one seen (as scipy's `binomtest`).
pub fn binomial_p(k: usize, n: usize) -> f64 {
    if n == 0 {
        return 1.0;
    }
    let Ok(b) = Binomial::new(0.5, n as u64) else {
        return 1.0;
    };
    let seen = b.pmf(k as u64);
    // A relative tolerance, as scipy uses, so that equal probabilities count as equal.
    (0..=n as u64)
        .map(|i| b.pmf(i))
        .filter(|p| *p <= seen * (1.0 + 1e-7))
        .sum::<f64>()
        .min(1.0)
}

/// Analyse the unblinded days; `seed` drives the Monte Carlo sample beyond [`EXACT_BLOCKS`].
/// `None` without at least one active and one placebo day.
pub fn analyse(obs: &[Observation], seed: u64) -> Option<Analysis> {
    let observed = effect(obs, |_| false)?;
    let blocks = obs.iter().map(|o| o.block + 1).max().unwrap_or(0);
    let more_extreme = |e: f64| e.abs() >= observed.abs() - 1e-12;
    let (hits, allocations, exact) = if blocks <= EXACT_BLOCKS {
        let n = 1usize << blocks;
        let hits = (0..n)
            .filter_map(|mask| effect(obs, |b| mask >> b & 1 == 1))
            .filter(|e| more_extreme(*e))
            .count();
        (hits, n, true)
    } else {
        // The observed allocation counts as one of the sample (Phipson & Smyth).
        let mut rng = SplitMix(seed);
        let mut hits = 1;
        for _ in 0..MONTE_CARLO {
            let flips: Vec<bool> = (0..blocks).map(|_| rng.next_u64() & 1 == 1).collect();
            if effect(obs, |b| flips[b]).is_some_and(more_extreme) {
                hits += 1;
            }
        }
        (hits, MONTE_CARLO + 1, false)
    };
    let values = |c: Condition, keep: &dyn Fn(&Observation) -> bool| -> Vec<f64> {
        obs.iter()
            .filter(|o| o.condition == c && keep(o))
            .map(|o| o.outcome)
            .collect()
    };
    let all = |_: &Observation| true;
    let (active, placebo) = (
        values(Condition::Active, &all),
        values(Condition::Placebo, &all),
    );
    let guessed: Vec<&Observation> = obs
        .iter()
        .filter(|o| matches!(o.guess, Some(Guess::Active | Guess::Placebo)))
        .collect();
    let right = |o: &Observation| match o.guess {
        Some(Guess::Active) => o.condition == Condition::Active,
        Some(Guess::Placebo) => o.condition == Condition::Placebo,
        _ => false,
    };
    let correct = guessed.iter().filter(|o| right(o)).count();
    let not_guessed = |o: &Observation| o.guess.is_some() && !right(o);
    Some(Analysis {
        active_days: active.len(),
        placebo_days: placebo.len(),
        effect: observed,
        interval: welch(&active, &placebo),
        p_value: hits as f64 / allocations as f64,
        exact,
        allocations,
        blinding: Blinding {
            guessed: guessed.len(),
            correct,
            dont_know: obs
                .iter()
                .filter(|o| o.guess == Some(Guess::DontKnow))
                .count(),
            p_value: binomial_p(correct, guessed.len()),
            effect_when_not_guessed: welch(
                &values(Condition::Active, &not_guessed),
                &values(Condition::Placebo, &not_guessed),
            ),
        },
    })
}

/// The Bayesian estimate: outcome = level + effect × active + trend × day + AR(1) error.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bayes {
    /// Posterior mean of the effect (active − placebo, in the outcome's units).
    pub effect: f64,
    /// 95 % credible interval.
    pub low: f64,
    pub high: f64,
    /// Posterior probability that the effect is larger than the smallest change that matters.
    pub p_meaningful: f64,
    /// Posterior mean of the day-to-day correlation of the errors.
    pub rho: f64,
}

/// One point of the correlation's grid: its marginal likelihood (log, up to a constant) and the
/// effect's posterior centre and scale there.
struct Fit {
    rho: f64,
    log_ml: f64,
    effect: f64,
    se: f64,
}

/// How finely the AR(1) correlation is integrated over (−0.95 … 0.95).
const RHO_GRID: usize = 191;

fn solve3(a: [[f64; 3]; 3]) -> Option<([[f64; 3]; 3], f64)> {
    let det = a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1])
        - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0])
        + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
    if det.abs() < 1e-12 {
        return None;
    }
    let mut inv = [[0.0; 3]; 3];
    for (r, row) in inv.iter_mut().enumerate() {
        for (c, x) in row.iter_mut().enumerate() {
            // The cofactor of (c, r), over the determinant.
            let (r1, r2) = ([1, 0, 0][c], [2, 2, 1][c]);
            let (c1, c2) = ([1, 0, 0][r], [2, 2, 1][r]);
            let minor = a[r1][c1] * a[r2][c2] - a[r1][c2] * a[r2][c1];
            *x = if (r + c) % 2 == 0 { minor } else { -minor } / det;
        }
    }
    Some((inv, det))
}

/// The Bayesian fit of `days` (in time order: the day number, 1 for active, the outcome) with
/// an AR(1) error and a linear trend; flat priors on the level, effect and trend, Jeffreys' on
/// the error's scale, uniform on the correlation over (−0.95, 0.95). For each correlation on a
/// grid the model is whitened (Prais–Winsten) and the posterior of the effect is a Student t;
/// the grid's points are weighted by their marginal likelihood. `None` with too few days.
pub fn bayes(days: &[(f64, bool, f64)], smallest_change: f64) -> Option<Bayes> {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    let n = days.len();
    if n < 6 || days.iter().all(|d| d.1) || days.iter().all(|d| !d.1) {
        return None;
    }
    let dof = (n - 3) as f64;
    let mut fits = Vec::with_capacity(RHO_GRID);
    for g in 0..RHO_GRID {
        let rho = -0.95 + 1.9 * g as f64 / (RHO_GRID - 1) as f64;
        let row = |k: usize| -> ([f64; 3], f64) {
            let (t, a, y) = days[k];
            let x = [1.0, if a { 1.0 } else { 0.0 }, t];
            if k == 0 {
                let f = (1.0 - rho * rho).sqrt();
                ([f * x[0], f * x[1], f * x[2]], f * y)
            } else {
                let (tp, ap, yp) = days[k - 1];
                let xp = [1.0, if ap { 1.0 } else { 0.0 }, tp];
                (
                    [x[0] - rho * xp[0], x[1] - rho * xp[1], x[2] - rho * xp[2]],
                    y - rho * yp,
                )
            }
        };
        let (mut xtx, mut xty, mut yty) = ([[0.0; 3]; 3], [0.0; 3], 0.0);
        for k in 0..n {
            let (x, y) = row(k);
            for r in 0..3 {
                for c in 0..3 {
                    xtx[r][c] += x[r] * x[c];
                }
                xty[r] += x[r] * y;
            }
            yty += y * y;
        }
        let Some((inv, det)) = solve3(xtx) else {
            continue;
        };
        let beta: Vec<f64> = (0..3)
            .map(|r| (0..3).map(|c| inv[r][c] * xty[c]).sum())
            .collect();
        let rss = (yty - (0..3).map(|r| beta[r] * xty[r]).sum::<f64>()).max(1e-12);
        let s2 = rss / dof;
        // log p(y | rho), up to a constant: the whitening's Jacobian, |X'X|^-1/2, RSS^-(n-k)/2.
        let log_ml = 0.5 * (1.0 - rho * rho).ln() - 0.5 * det.ln() - 0.5 * dof * rss.ln();
        fits.push(Fit {
            rho,
            log_ml,
            effect: beta[1],
            se: (s2 * inv[1][1]).sqrt(),
        });
    }
    let top = fits
        .iter()
        .map(|f| f.log_ml)
        .fold(f64::NEG_INFINITY, f64::max);
    if !top.is_finite() {
        return None;
    }
    let weights: Vec<f64> = fits.iter().map(|f| (f.log_ml - top).exp()).collect();
    let total: f64 = weights.iter().sum();
    let t = StudentsT::new(0.0, 1.0, dof).ok()?;
    let cdf = |x: f64| -> f64 {
        fits.iter()
            .zip(&weights)
            .map(|(f, w)| w * t.cdf((x - f.effect) / f.se))
            .sum::<f64>()
            / total
    };
    let quantile = |p: f64| -> f64 {
        let (mut lo, mut hi) = (-1e6, 1e6);
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if cdf(mid) < p {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    };
    let mean = |pick: fn(&Fit) -> f64| -> f64 {
        fits.iter()
            .zip(&weights)
            .map(|(f, w)| w * pick(f))
            .sum::<f64>()
            / total
    };
    Some(Bayes {
        effect: mean(|f| f.effect),
        low: quantile(0.025),
        high: quantile(0.975),
        p_meaningful: 1.0 - cdf(smallest_change),
        rho: mean(|f| f.rho),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fixture of tests/fixtures/trial.py: 6 blocks of 3 active and 3 placebo days.
    const ACTIVE: [[u8; 3]; 6] = [
        [7, 6, 8],
        [6, 7, 7],
        [8, 7, 6],
        [5, 6, 7],
        [7, 8, 7],
        [6, 6, 8],
    ];
    const PLACEBO: [[u8; 3]; 6] = [
        [5, 6, 5],
        [6, 5, 6],
        [5, 6, 6],
        [6, 5, 5],
        [6, 7, 5],
        [5, 6, 6],
    ];

    fn fixture() -> Vec<Observation> {
        let (active, placebo) = (ACTIVE, PLACEBO);
        let mut obs = Vec::new();
        for b in 0..6 {
            for (c, v) in [
                (Condition::Active, active[b]),
                (Condition::Placebo, placebo[b]),
            ] {
                for x in v {
                    obs.push(Observation {
                        block: b,
                        condition: c,
                        outcome: f64::from(x),
                        guess: None,
                    });
                }
            }
        }
        // 26 days guessed, 19 of them right; the other 10 "don't know".
        for (k, o) in obs.iter_mut().enumerate() {
            let right = match o.condition {
                Condition::Active => Guess::Active,
                Condition::Placebo => Guess::Placebo,
            };
            let wrong = match o.condition {
                Condition::Active => Guess::Placebo,
                Condition::Placebo => Guess::Active,
            };
            o.guess = Some(match k {
                0..19 => right,
                19..26 => wrong,
                _ => Guess::DontKnow,
            });
        }
        obs
    }

    /// Reference values from scipy 1.17.1 / numpy 2.4.6 (tests/fixtures/trial.py).
    #[test]
    fn analysis_matches_scipy() {
        let a = analyse(&fixture(), 1).unwrap_or_else(|| panic!("no analysis"));
        assert!((a.effect - 1.1666666667).abs() < 1e-9, "{}", a.effect);
        assert!(a.exact && a.allocations == 64);
        assert!((a.p_value - 0.03125).abs() < 1e-12, "{}", a.p_value);
        let w = a.interval.unwrap_or_else(|| panic!("no interval"));
        assert!((w.ci95_low - 0.6527616463).abs() < 1e-8, "{}", w.ci95_low);
        assert!((w.ci95_high - 1.6805716870).abs() < 1e-8, "{}", w.ci95_high);
        assert_eq!(
            (a.blinding.guessed, a.blinding.correct, a.blinding.dont_know),
            (26, 19, 10)
        );
        assert!(
            (a.blinding.p_value - 0.0289592743).abs() < 1e-9,
            "{}",
            a.blinding.p_value
        );
        assert!(a.blinding.effect_when_not_guessed.is_some());
        assert!((binomial_p(13, 26) - 1.0).abs() < 1e-12);
        assert!((binomial_p(0, 5) - 0.0625).abs() < 1e-12);
    }

    /// The same fixture in time order (orders AP, PA, AP, AP, PA, PA; 3 days a period and a
    /// washout day after each), fitted independently in tests/fixtures/trial.py.
    #[test]
    fn the_bayesian_fit_matches_the_reference() {
        let (active, placebo) = (ACTIVE, PLACEBO);
        let mut days = Vec::new();
        let mut day = 0.0;
        for (b, order) in ["AP", "PA", "AP", "AP", "PA", "PA"].iter().enumerate() {
            for c in order.chars() {
                for v in if c == 'A' { active[b] } else { placebo[b] } {
                    days.push((day, c == 'A', f64::from(v)));
                    day += 1.0;
                }
                day += 1.0;
            }
        }
        let b = bayes(&days, 0.5).unwrap_or_else(|| panic!("no fit"));
        assert!((b.effect - 1.16646204).abs() < 1e-6, "{b:?}");
        assert!((b.low - 0.65571161).abs() < 1e-5, "{b:?}");
        assert!((b.high - 1.66961670).abs() < 1e-5, "{b:?}");
        assert!((b.p_meaningful - 0.99315719).abs() < 1e-6, "{b:?}");
        assert!((b.rho - -0.08203017).abs() < 1e-6, "{b:?}");
        assert!(bayes(&days[..4], 0.5).is_none(), "too few days");
    }

    #[test]
    fn a_three_by_three_inverse_is_an_inverse() {
        let a = [[4.0, 1.0, 2.0], [1.0, 3.0, 0.5], [2.0, 0.5, 5.0]];
        let (inv, det) = solve3(a).unwrap_or_else(|| panic!());
        assert!((det - 44.0).abs() < 1e-9, "{det}");
        // A times its inverse is the identity.
        for (r, row) in a.iter().enumerate() {
            let product: Vec<f64> = (0..3)
                .map(|c| row.iter().zip(&inv).map(|(x, i)| x * i[c]).sum())
                .collect();
            for (c, x) in product.iter().enumerate() {
                assert!((x - if r == c { 1.0 } else { 0.0 }).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn the_schedule_alternates_periods_and_washouts_in_the_drawn_order() {
        let d = Design {
            start: "2026-12-01".parse().unwrap_or_default(),
            blocks: 2,
            period_days: 2,
            washout_days: 1,
        };
        let s = d.schedule(&[true, false]);
        assert_eq!(s.len() as u32, d.days());
        let code: String = s
            .iter()
            .map(|x| match x.condition {
                Some(Condition::Active) => 'A',
                Some(Condition::Placebo) => 'P',
                None => '-',
            })
            .collect();
        assert_eq!(code, "AA-PP-PP-AA-");
        assert_eq!(s[11].date, "2026-12-12".parse().unwrap_or_default());
        assert_eq!((s[0].block, s[6].block), (0, 1));
    }

    /// A normal draw (Box–Muller) from the deterministic generator.
    fn normal(rng: &mut SplitMix) -> f64 {
        let (u, v) = (rng.uniform().max(1e-12), rng.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }

    fn simulated(rng: &mut SplitMix, true_effect: f64) -> Vec<Observation> {
        let mut obs = Vec::new();
        for b in 0..8 {
            for c in [Condition::Active, Condition::Placebo] {
                for _ in 0..4 {
                    let shift = if c == Condition::Active {
                        true_effect
                    } else {
                        0.0
                    };
                    obs.push(Observation {
                        block: b,
                        condition: c,
                        outcome: 5.0 + shift + normal(rng),
                        guess: None,
                    });
                }
            }
        }
        obs
    }

    /// 200 simulated trials with a known effect of 1 point: the interval holds it in at least
    /// 90 %; 200 with none: the randomisation test rejects at about its nominal 5 %.
    #[test]
    fn simulated_trials_recover_a_known_effect_and_reject_a_null_at_the_nominal_rate() {
        let mut rng = SplitMix(20_261_203);
        let (mut covered, mut credible) = (0, 0);
        for _ in 0..200 {
            let obs = simulated(&mut rng, 1.0);
            let a = analyse(&obs, 7).unwrap_or_else(|| panic!());
            let w = a.interval.unwrap_or_else(|| panic!());
            if w.ci95_low <= 1.0 && 1.0 <= w.ci95_high {
                covered += 1;
            }
            // The same days in time order for the Bayesian fit.
            let days: Vec<(f64, bool, f64)> = obs
                .iter()
                .enumerate()
                .map(|(k, o)| (k as f64, o.condition == Condition::Active, o.outcome))
                .collect();
            let b = bayes(&days, 0.5).unwrap_or_else(|| panic!());
            if b.low <= 1.0 && 1.0 <= b.high {
                credible += 1;
            }
        }
        assert!(covered >= 180, "covered {covered} of 200");
        assert!(
            credible >= 180,
            "the credible interval covered {credible} of 200"
        );
        let rejected = (0..200)
            .filter(|_| analyse(&simulated(&mut rng, 0.0), 7).is_some_and(|a| a.p_value <= 0.05))
            .count();
        assert!(
            (2..=20).contains(&rejected),
            "rejected {rejected} of 200 null trials"
        );
    }

    #[test]
    fn beyond_sixteen_blocks_a_seeded_sample_gives_the_same_answer_again() {
        let mut rng = SplitMix(5);
        let mut obs = Vec::new();
        for b in 0..20 {
            for c in [Condition::Active, Condition::Placebo] {
                obs.push(Observation {
                    block: b,
                    condition: c,
                    outcome: 5.0 + normal(&mut rng),
                    guess: None,
                });
            }
        }
        let (a, b) = (analyse(&obs, 42), analyse(&obs, 42));
        let a = a.unwrap_or_else(|| panic!());
        assert!(!a.exact && a.allocations == MONTE_CARLO + 1);
        assert_eq!(Some(a.p_value), b.map(|b| b.p_value));
        assert!(a.p_value > 0.0 && a.p_value <= 1.0);
        // Only one condition: nothing to compare.
        assert!(
            analyse(
                &obs.iter()
                    .copied()
                    .filter(|o| o.condition == Condition::Active)
                    .collect::<Vec<_>>(),
                1
            )
            .is_none()
        );
    }
}
