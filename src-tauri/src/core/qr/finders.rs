//! Counting the shapes in a bitmap that look like QR finder patterns (the
//! three corner squares), before `rqrr` searches for codes in it.
//!
//! `rqrr` pairs every finder pattern it detects with its aligned
//! neighbours and checks each candidate group on a copy of the whole
//! image, so its work grows with a high power of their number: an
//! 800 × 800 picture tiled with 7 × 7 finder patterns (6,400 of them, a
//! 3 KB PNG) kept it busy for minutes. A real picture holds three per code.
//! [`count`] is linear in the pixels and errs on the high side (it keeps
//! shapes `rqrr` would later reject), so a pass whose count is above
//! [`MAX_FINDERS`] is skipped.
//!
//! A finder pattern crossed by a row or a column reads dark, light, dark,
//! light, dark in widths of about 1 : 1 : 3 : 1 : 1. [`count`] finds those
//! runs along every row, keeps the ones whose centre column reads the same
//! way, and counts each shape once, when enough rows in a row have crossed
//! it (the rows through one shape continue each other).

/// The most finder-like shapes a pass hands to `rqrr`: 80 codes' worth.
/// A 150 × 150 lattice of 225 took about a second for all the passes of a
/// picture (release build, a 2-core machine); 900 took 13 s.
pub const MAX_FINDERS: usize = 240;

/// A shape crossed by the rows above, in [`count`].
struct Crossed {
    centre: u32,
    reach: u32,
    rows: u32,
}

/// A run of one colour along a line: where it starts and how long it is.
#[derive(Clone, Copy)]
struct Run {
    start: u32,
    len: u32,
}

/// Whether five runs (dark first) are about 1 : 1 : 3 : 1 : 1.
fn finder_ratio(runs: &[Run]) -> bool {
    let total: u32 = runs.iter().map(|r| r.len).sum();
    if total < 7 {
        return false;
    }
    // The width of one module, and each run's allowed spread around its
    // share of it: half a module for the outer runs, a module for the middle.
    let unit = f64::from(total) / 7.0;
    let near = |len: u32, modules: f64, slack: f64| {
        (f64::from(len) - modules * unit).abs() <= slack * unit.max(1.0)
    };
    near(runs[0].len, 1.0, 0.75)
        && near(runs[1].len, 1.0, 0.75)
        && near(runs[2].len, 3.0, 1.0)
        && near(runs[3].len, 1.0, 0.75)
        && near(runs[4].len, 1.0, 0.75)
}

/// The runs of one line of `len` pixels, `dark(i)` telling each pixel.
fn runs(len: u32, dark: impl Fn(u32) -> bool, out: &mut Vec<(bool, Run)>) {
    out.clear();
    let mut start = 0;
    while start < len {
        let colour = dark(start);
        let mut end = start + 1;
        while end < len && dark(end) == colour {
            end += 1;
        }
        out.push((
            colour,
            Run {
                start,
                len: end - start,
            },
        ));
        start = end;
    }
}

/// Whether the column through `x` reads 1 : 1 : 3 : 1 : 1 around row `y`.
fn column_agrees(height: u32, x: u32, y: u32, dark: &impl Fn(u32, u32) -> bool) -> bool {
    if !dark(x, y) {
        return false;
    }
    // Walk up and down from the centre: the middle run, then two more runs
    // each way.
    let mut up = [0u32; 3];
    let mut down = [0u32; 3];
    let mut row = y;
    for (index, colour) in [true, false, true].into_iter().enumerate() {
        while row > 0 && dark(x, row - 1) == colour {
            row -= 1;
            up[index] += 1;
        }
        if index < 2 && (row == 0 || dark(x, row - 1) == colour) {
            return false;
        }
    }
    let mut row = y;
    for (index, colour) in [true, false, true].into_iter().enumerate() {
        while row + 1 < height && dark(x, row + 1) == colour {
            row += 1;
            down[index] += 1;
        }
        if index < 2 && (row + 1 >= height || dark(x, row + 1) == colour) {
            return false;
        }
    }
    let run = |len: u32| Run { start: 0, len };
    finder_ratio(&[
        run(up[2]),
        run(up[1]),
        run(up[0] + down[0] + 1),
        run(down[1]),
        run(down[2]),
    ])
}

/// How many finder-like shapes a `width × height` bitmap holds, `dark(x,
/// y)` telling each pixel; stops counting past [`MAX_FINDERS`].
pub fn count(width: u32, height: u32, dark: impl Fn(u32, u32) -> bool) -> usize {
    let mut shapes = 0;
    let mut line = Vec::new();
    // The shapes the row above crossed: centre column, half width, and
    // how many rows in a row crossed it. A shape counts once it has been
    // crossed by two thirds of the rows its middle run is wide (at least
    // two): a finder's middle square is as tall as it is wide, and specks
    // that happen to read 1 : 1 : 3 : 1 : 1 on one row rarely do so on the
    // next.
    let mut above: Vec<Crossed> = Vec::new();
    let mut here: Vec<Crossed> = Vec::new();
    for y in 0..height {
        runs(width, |x| dark(x, y), &mut line);
        here.clear();
        for window in line.windows(5) {
            if !window[0].0 {
                continue;
            }
            let five = [0, 1, 2, 3, 4].map(|i| window[i].1);
            if !finder_ratio(&five) {
                continue;
            }
            let centre = five[2].start + five[2].len / 2;
            if !column_agrees(height, centre, y, &dark) {
                continue;
            }
            let reach = (five[2].len / 2).max(1);
            let rows = above
                .iter()
                .find(|c| c.centre.abs_diff(centre) <= reach.max(c.reach))
                .map_or(1, |c| c.rows + 1);
            if rows == (five[2].len * 2 / 3).max(2) {
                shapes += 1;
                if shapes > MAX_FINDERS {
                    return shapes;
                }
            }
            here.push(Crossed {
                centre,
                reach,
                rows,
            });
        }
        std::mem::swap(&mut above, &mut here);
    }
    shapes
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 7 × 7 finder pattern every `step` pixels, modules `px` wide.
    fn lattice(side: u32, step: u32, px: u32) -> impl Fn(u32, u32) -> bool {
        move |x, y| {
            let (mx, my) = ((x % step) / px, (y % step) / px);
            if mx >= 7 || my >= 7 {
                return false;
            }
            let ring = mx == 0 || my == 0 || mx == 6 || my == 6;
            let stone = (2..=4).contains(&mx) && (2..=4).contains(&my);
            x < side && y < side && (ring || stone)
        }
    }

    #[test]
    fn each_finder_pattern_is_counted_once_at_any_module_size() {
        for px in [1, 2, 5] {
            let step = 10 * px;
            assert_eq!(
                count(3 * step, 2 * step, lattice(3 * step, step, px)),
                6,
                "{px} px"
            );
        }
    }

    #[test]
    fn counting_stops_past_the_budget() {
        assert_eq!(count(800, 800, lattice(800, 10, 1)), MAX_FINDERS + 1);
    }

    /// The 4K screenshot of `benches/qr.rs`: panels and rows of dark specks.
    #[test]
    fn specks_of_text_in_a_screenshot_stay_under_the_budget() {
        let mut state = 0x9e37_79b9_u32;
        let mut pixels = Vec::with_capacity(3840 * 2160);
        for y in 0..2160u32 {
            for x in 0..3840u32 {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                pixels.push((y / 16) % 3 == 0 && (x / 9) % 7 != 0 && state.is_multiple_of(3));
            }
        }
        let shapes = count(3840, 2160, |x, y| pixels[(y * 3840 + x) as usize]);
        assert!(shapes <= MAX_FINDERS / 4, "{shapes}");
    }

    #[test]
    fn stripes_and_blank_pictures_hold_none() {
        assert_eq!(count(100, 100, |_, _| false), 0);
        assert_eq!(count(100, 100, |x, _| x % 2 == 0), 0);
        assert_eq!(count(100, 100, |x, y| (x + y) % 3 == 0), 0);
    }
}
