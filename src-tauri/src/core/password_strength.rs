//! How guessable a new vault password is, for the window's feedback while
//! the user types and the CLI's warning on `init` and `passwd`.
//!
//! The estimate is zxcvbn's: it knows common passwords, names, words,
//! keyboard patterns, dates and l33t spellings, so "password123" rates as
//! weak however many character classes it has. A password is acceptable
//! from [`Verdict::Good`] up (zxcvbn score 3: more than 10^8 guesses);
//! below that the window asks for a confirmation and the CLI warns.

/// Characters past this many are not analysed: they only make a password
/// stronger, and zxcvbn's matching grows quickly with the length.
const ANALYSED_CHARS: usize = 64;

/// zxcvbn's score, in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// Nothing typed yet.
    Empty,
    /// Found in the first million guesses (score 0 or 1).
    Weak,
    /// Within 10^8 guesses (score 2).
    Fair,
    /// Within 10^10 guesses (score 3).
    Good,
    /// More than 10^10 guesses (score 4).
    Strong,
}

impl Verdict {
    /// The verdict as a lower-case word, for a sentence.
    pub fn word(self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::Weak => "weak",
            Self::Fair => "only fair",
            Self::Good => "good",
            Self::Strong => "strong",
        }
    }
}

/// The estimate for one password: never the password itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordStrength {
    pub verdict: Verdict,
    /// What makes it easy to guess, as a sentence ("This is a top-10
    /// common password."), when zxcvbn can say.
    pub warning: Option<String>,
    /// What would make it harder to guess, one sentence each.
    pub suggestions: Vec<String>,
}

impl PasswordStrength {
    /// Whether the password is hard enough to guess to be used without a
    /// second thought.
    pub fn is_acceptable(&self) -> bool {
        self.verdict >= Verdict::Good
    }

    /// The warning and the suggestions in one line, for the CLI.
    pub fn advice(&self) -> String {
        let mut said: Vec<&str> = self.warning.iter().map(String::as_str).collect();
        said.extend(self.suggestions.iter().map(String::as_str));
        if said.is_empty() {
            return "use a longer password or a few unrelated words".to_owned();
        }
        said.join(" ")
    }
}

/// Estimates how hard `password` is to guess.
pub fn estimate(password: &str) -> PasswordStrength {
    if password.is_empty() {
        return PasswordStrength {
            verdict: Verdict::Empty,
            warning: None,
            suggestions: vec!["Choose a password only you know.".to_owned()],
        };
    }
    let analysed: String = password.chars().take(ANALYSED_CHARS).collect();
    let entropy = zxcvbn::zxcvbn(&analysed, &["tessera", "vault", "authenticator"]);
    let verdict = match u8::from(entropy.score()) {
        0 | 1 => Verdict::Weak,
        2 => Verdict::Fair,
        3 => Verdict::Good,
        _ => Verdict::Strong,
    };
    let feedback = entropy.feedback();
    PasswordStrength {
        verdict,
        warning: feedback
            .and_then(zxcvbn::feedback::Feedback::warning)
            .map(|warning| warning.to_string()),
        suggestions: feedback
            .map(|feedback| {
                feedback
                    .suggestions()
                    .iter()
                    .map(ToString::to_string)
                    .collect()
            })
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_passwords_are_weak_whatever_their_character_classes() {
        for password in [
            "abc",
            "password123",
            "Password1!",
            "qwertyuiop",
            "tessera2026",
        ] {
            let strength = estimate(password);
            assert!(
                strength.verdict <= Verdict::Fair,
                "{password}: {strength:?}"
            );
            assert!(!strength.is_acceptable(), "{password}");
            assert!(!strength.advice().is_empty(), "{password}");
        }
    }

    #[test]
    fn a_few_unrelated_words_are_strong() {
        let strength = estimate("correct horse battery staple lantern");
        assert_eq!(strength.verdict, Verdict::Strong, "{strength:?}");
        assert!(strength.is_acceptable());
    }

    #[test]
    fn a_common_password_says_why() {
        let strength = estimate("password");
        assert_eq!(strength.verdict, Verdict::Weak);
        let warning = strength.warning.expect("a warning for a top password");
        assert!(warning.to_lowercase().contains("common"), "{warning}");
    }

    #[test]
    fn nothing_typed_is_empty_and_never_acceptable() {
        let strength = estimate("");
        assert_eq!(strength.verdict, Verdict::Empty);
        assert!(!strength.is_acceptable());
    }

    #[test]
    fn a_very_long_password_is_rated_on_its_first_characters() {
        let long = "Tq8!vLm2#Rz".repeat(500);
        assert_eq!(estimate(&long).verdict, Verdict::Strong);
        let repeated = "a".repeat(5_000);
        assert_eq!(estimate(&repeated).verdict, Verdict::Weak);
    }

    #[test]
    fn the_estimate_never_holds_the_password() {
        let password = "hunter2hunter2";
        let shown = format!("{:?}", estimate(password));
        assert!(!shown.contains(password), "{shown}");
    }
}
