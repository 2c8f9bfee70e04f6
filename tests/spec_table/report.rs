//! Problems, collected while the whole file is read and run, and reported all at once.

use std::fmt;

#[derive(Default)]
pub struct Report {
    pub problems: Vec<String>,
}

impl Report {
    /// Records a problem at a line of `spec-table.md`; line 0 is the file as a whole.
    pub fn fail(&mut self, line: usize, message: impl fmt::Display) {
        if line == 0 {
            self.problems.push(format!("spec-table.md: {message}"));
        } else {
            self.problems
                .push(format!("spec-table.md:{line}: {message}"));
        }
    }

    /// Records each of `problems` at `line`.
    pub fn fail_all(&mut self, line: usize, problems: impl IntoIterator<Item = String>) {
        for problem in problems {
            self.fail(line, problem);
        }
    }

    /// Panics with every problem, if there is any.
    pub fn finish(self) {
        assert!(
            self.problems.is_empty(),
            "{} problem(s) in spec-table.md:\n{}",
            self.problems.len(),
            self.problems.join("\n")
        );
    }
}
