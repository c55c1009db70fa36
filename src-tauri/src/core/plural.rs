//! Counts in messages: `1 digit`, `6 digits`, `6 to 10 digits`, never
//! `1 digits` or `5 to 5 digits`. Every message that puts a number before a
//! noun builds it here.
//!
//! Must never: decide anything but the words; a count is shown as given.

use std::fmt;

/// `1 entry`, `3 entries`: a count with its noun in the right number.
pub(crate) fn counted<T: fmt::Display + PartialEq + From<u8> + Copy>(
    count: T,
    one: &str,
    many: &str,
) -> String {
    format!("{count} {}", plural(count, one, many))
}

/// `one` for a count of 1, otherwise `many`.
pub(crate) fn plural<'a, T: PartialEq + From<u8> + Copy>(
    count: T,
    one: &'a str,
    many: &'a str,
) -> &'a str {
    if count == T::from(1) { one } else { many }
}

/// `6 to 10 digits`, or `5 digits` when the range holds one value.
pub(crate) fn range<T: fmt::Display + PartialEq + From<u8> + Copy>(
    min: T,
    max: T,
    one: &str,
    many: &str,
) -> String {
    if min == max {
        counted(min, one, many)
    } else {
        format!("{min} to {max} {many}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_everything_else_plural() {
        assert_eq!(counted(1u8, "digit", "digits"), "1 digit");
        assert_eq!(counted(0usize, "entry", "entries"), "0 entries");
        assert_eq!(counted(2u32, "part", "parts"), "2 parts");
        assert_eq!(plural(1i32, "part", "parts"), "part");
        assert_eq!(plural(-1i32, "part", "parts"), "parts");
    }

    #[test]
    fn a_range_of_one_value_is_a_count() {
        assert_eq!(range(5u8, 5, "digit", "digits"), "5 digits");
        assert_eq!(range(1u8, 1, "digit", "digits"), "1 digit");
        assert_eq!(range(6u8, 10, "digit", "digits"), "6 to 10 digits");
    }
}
