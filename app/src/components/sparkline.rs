//! A throughput sparkline as inline SVG: one path, drawn here, no chart library.

use leptos::prelude::*;

/// The line through `values` (oldest first) in a `width` × `height` box, the largest value
/// at the top and zero at the bottom (less a 1-unit margin so the stroke is not cut).
/// Coordinates carry one decimal: `M0,23 L2,23 L4,1.5`. Empty for no values.
pub fn line_path(values: &[i64], width: f64, height: f64) -> String {
    let max = values.iter().copied().max().unwrap_or(0).max(1) as f64;
    let step = if values.len() > 1 {
        width / (values.len() - 1) as f64
    } else {
        0.0
    };
    let usable = height - 2.0;
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let x = i as f64 * step;
            let y = 1.0 + usable * (1.0 - (*v).max(0) as f64 / max);
            format!("{}{},{}", if i == 0 { "M" } else { "L" }, num(x), num(y))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The area under [`line_path`], closed along the bottom edge.
pub fn area_path(values: &[i64], width: f64, height: f64) -> String {
    if values.is_empty() {
        return String::new();
    }
    let last_x = if values.len() > 1 { width } else { 0.0 };
    format!(
        "{} L{},{} L0,{} Z",
        line_path(values, width, height),
        num(last_x),
        num(height),
        num(height)
    )
}

/// One decimal, without a trailing `.0`.
fn num(x: f64) -> String {
    let s = format!("{:.1}", x);
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

const WIDTH: f64 = 120.0;
const HEIGHT: f64 = 28.0;

/// Items per minute over the last hour; `label` says what is counted (for screen readers).
#[component]
pub fn Sparkline(#[prop(into)] values: Signal<Vec<i64>>, label: &'static str) -> impl IntoView {
    let line = move || values.with(|v| line_path(v, WIDTH, HEIGHT));
    let area = move || values.with(|v| area_path(v, WIDTH, HEIGHT));
    let total = move || values.with(|v| v.iter().sum::<i64>());
    view! {
        <svg
            class="h-7 w-[120px] shrink-0 overflow-visible"
            viewBox=format!("0 0 {WIDTH} {HEIGHT}")
            preserveAspectRatio="none"
            role="img"
            data-sparkline=""
            aria-label=move || format!("{} {label} in the last hour, per minute", total())
        >
            <path d=area class="fill-sky-100" />
            <path d=line class="fill-none stroke-sky-600" stroke-width="1.5"
                stroke-linejoin="round" vector-effect="non-scaling-stroke" />
        </svg>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_scales_to_the_largest_value() {
        // Three points across 10 units; the peak touches the top margin, zero the bottom.
        assert_eq!(line_path(&[0, 4, 2], 10.0, 10.0), "M0,9 L5,1 L10,5");
        assert_eq!(
            area_path(&[0, 4, 2], 10.0, 10.0),
            "M0,9 L5,1 L10,5 L10,10 L0,10 Z"
        );
    }

    #[test]
    fn flat_and_empty_series() {
        // Nothing delivered: a flat line along the bottom, not a division by zero.
        assert_eq!(line_path(&[0, 0, 0], 120.0, 28.0), "M0,27 L60,27 L120,27");
        assert_eq!(line_path(&[], 120.0, 28.0), "");
        assert_eq!(area_path(&[], 120.0, 28.0), "");
        assert_eq!(line_path(&[3], 120.0, 28.0), "M0,1");
    }

    #[test]
    fn sixty_minutes_fill_the_width() {
        let mut v = vec![0; 60];
        v[59] = 7;
        let p = line_path(&v, 120.0, 28.0);
        assert!(p.starts_with("M0,27 L2,27 L4.1,27"), "{p}");
        assert!(p.ends_with("L118,27 L120,1"), "{p}");
    }
}
