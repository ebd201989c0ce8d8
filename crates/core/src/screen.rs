//! The contraindication and caution screen (`data/screen.json`), asked at `dosewise init`.

use crate::knowledge::Confidence;
use serde::Deserialize;
use std::sync::OnceLock;

#[derive(Debug, Clone, Deserialize)]
pub struct Question {
    pub code: String,
    pub question: String,
    /// "warning" for label contraindications, "caution" for precautions.
    pub level: String,
    pub reason: String,
    pub source: String,
    pub confidence: Confidence,
}

#[derive(Debug, Clone, Deserialize)]
struct ScreenFile {
    questions: Vec<Question>,
}

const SCREEN_JSON: &str = include_str!("../../../data/screen.json");

pub fn questions() -> &'static [Question] {
    static Q: OnceLock<Vec<Question>> = OnceLock::new();
    Q.get_or_init(|| match serde_json::from_str::<ScreenFile>(SCREEN_JSON) {
        Ok(f) => f.questions,
        // Compiled in and checked by `screen_is_valid`: a failure here is a broken build.
        Err(e) => panic!("data/screen.json is invalid: {e}"),
    })
}

pub fn question(code: &str) -> Option<&'static Question> {
    questions().iter().find(|q| q.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn screen_is_valid() {
        let f: ScreenFile = serde_json::from_str(SCREEN_JSON).unwrap_or_else(|e| panic!("{e}"));
        assert!(f.questions.len() >= 10);
        for q in &f.questions {
            assert!(q.level == "warning" || q.level == "caution", "{}", q.code);
            assert!(
                !q.source.is_empty() && q.question.ends_with('?'),
                "{}",
                q.code
            );
            assert_ne!(
                q.confidence,
                Confidence::L,
                "{}: a standing finding needs a checked source",
                q.code
            );
        }
        assert!(question("aneurysm").is_some());
    }
}
