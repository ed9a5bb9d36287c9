//! Number formatting shared by the model modules (their `Display` texts, names and messages)
//! and the views: a leaf below both, so a model can print a number without depending on the
//! table or plot layer. Public as [`crate::table::fmt_sig`] (and in the prelude).

/// `x` with `sig` significant digits (at least 1), trailing zeros removed; scientific
/// notation below 10⁻⁴ and from 10⁶ on. NaN and infinities print as `NaN`, `inf`, `-inf`.
///
/// ```
/// use course_lib::table::fmt_sig;
/// assert_eq!(fmt_sig(3.14159, 3), "3.14");
/// assert_eq!(fmt_sig(0.000123456, 2), "0.00012");
/// assert_eq!(fmt_sig(123456.0, 3), "123000");
/// assert_eq!(fmt_sig(2.0e-7, 3), "2e-7");
/// assert_eq!(fmt_sig(9.996, 3), "10");
/// ```
pub fn fmt_sig(x: f64, sig: usize) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if x == 0.0 {
        return "0".into();
    }
    let sig = sig.clamp(1, 17);
    // Round to `sig` digits first, so the exponent is that of the rounded value.
    let rounded: f64 = format!("{x:.prec$e}", prec = sig - 1).parse().unwrap_or(x);
    let exp = rounded.abs().log10().floor() as i32;
    if !(-4..6).contains(&exp) {
        let s = format!("{rounded:.prec$e}", prec = sig - 1);
        let (mantissa, e) = s.split_once('e').unwrap_or((&s, "0"));
        return format!("{}e{e}", trim_zeros(mantissa));
    }
    let decimals = (sig as i32 - 1 - exp).max(0) as usize;
    trim_zeros(&format!("{rounded:.decimals$}"))
}

fn trim_zeros(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn significant_digits() {
        assert_eq!(fmt_sig(1.5, 3), "1.5");
        assert_eq!(fmt_sig(100.0, 3), "100");
        assert_eq!(fmt_sig(-0.012345, 2), "-0.012");
        assert_eq!(fmt_sig(1.0e6, 3), "1e6");
        assert_eq!(fmt_sig(999_999.0, 3), "1e6");
        assert_eq!(fmt_sig(0.5, 0), "0.5");
        assert_eq!(fmt_sig(f64::NAN, 3), "NaN");
        assert_eq!(fmt_sig(f64::NEG_INFINITY, 3), "-inf");
        assert_eq!(fmt_sig(0.0001, 3), "0.0001");
    }
}
