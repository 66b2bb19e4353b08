//! Mapping MobileFaceNet cosine similarity onto FaceID's `Sim` score (0–100, pass line 70).
//!
//! The mapping is piecewise linear and strictly increasing through calibration knots chosen
//! from measured cosines (see `crates/vision/CALIBRATION.md`): genuine pairs of our test photos
//! score cosine ≥ 0.7, impostor pairs ≤ 0.5. The pass line (Sim 70) sits at cosine 0.58, in the
//! gap between them and nearer the impostors' side than the genuine pairs' floor so a fair share
//! of harder genuine pairs (age, lighting) still passes; Sim 80 (FaceID's "1 in 10,000 false
//! accept" line) at 0.68.

/// FaceID's recommended pass line.
pub const PASS_SIM: f32 = 70.0;

/// `(cosine, Sim)` knots, increasing in both coordinates.
pub const CALIBRATION_KNOTS: [(f32, f32); 7] = [
    (-1.0, 0.0),
    (0.0, 5.0),
    (0.30, 30.0),
    (0.48, 55.0),
    (0.58, 70.0),
    (0.68, 80.0),
    (1.0, 100.0),
];

/// Cosine at which [`sim_from_cosine`] reaches the pass line.
pub fn pass_cosine() -> f32 {
    cosine_from_sim(PASS_SIM)
}

/// FaceID `Sim` for a cosine similarity, in [0, 100].
pub fn sim_from_cosine(cosine: f32) -> f32 {
    let c = if cosine.is_finite() {
        cosine.clamp(-1.0, 1.0)
    } else {
        -1.0
    };
    interpolate(&CALIBRATION_KNOTS.map(|(x, y)| (x, y)), c)
}

/// Inverse of [`sim_from_cosine`].
pub fn cosine_from_sim(sim: f32) -> f32 {
    interpolate(
        &CALIBRATION_KNOTS.map(|(x, y)| (y, x)),
        sim.clamp(0.0, 100.0),
    )
}

fn interpolate(knots: &[(f32, f32)], x: f32) -> f32 {
    for pair in knots.windows(2) {
        let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
        if x <= x1 {
            let t = ((x - x0) / (x1 - x0)).clamp(0.0, 1.0);
            return y0 + t * (y1 - y0);
        }
    }
    knots[knots.len() - 1].1
}

/// FaceID's string form of `Sim`: two decimals, "0.00" to "100.00".
pub fn format_sim(sim: f32) -> String {
    let s = if sim.is_finite() {
        sim.clamp(0.0, 100.0)
    } else {
        0.0
    };
    format!("{s:.2}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_is_monotonic_and_bounded() {
        let mut last = -1.0;
        for i in 0..=2000 {
            let c = -1.0 + i as f32 / 1000.0;
            let s = sim_from_cosine(c);
            assert!(
                s >= last && (0.0..=100.0).contains(&s),
                "at {c}: {s} after {last}"
            );
            last = s;
        }
        assert_eq!(sim_from_cosine(1.0), 100.0);
        assert_eq!(sim_from_cosine(-1.0), 0.0);
        assert_eq!(sim_from_cosine(f32::NAN), 0.0);
    }

    #[test]
    fn pass_line_sits_between_measured_groups() {
        assert!((pass_cosine() - 0.58).abs() < 1e-6);
        assert!(sim_from_cosine(0.47) < PASS_SIM);
        assert!(sim_from_cosine(0.70) >= PASS_SIM);
        assert!((cosine_from_sim(sim_from_cosine(0.63)) - 0.63).abs() < 1e-5);
    }

    #[test]
    fn sim_string_has_two_decimals() {
        assert_eq!(format_sim(70.0), "70.00");
        assert_eq!(format_sim(123.0), "100.00");
        assert_eq!(format_sim(-3.0), "0.00");
        assert_eq!(format_sim(85.456), "85.46");
    }
}
