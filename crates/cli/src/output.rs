//! Printing: JSON for programs, short readable text and tables for people.

use crate::error::CliResult;
use comfy_table::{ContentLineStyle, LineStyle, Table, TableStyle};
use serde::Serialize;

/// Write formatted text to stdout. A closed pipe (`dosewise history | head`) ends the program
/// quietly instead of panicking, as a Unix filter should.
pub fn write_out(args: std::fmt::Arguments<'_>, newline: bool) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let r = out.write_fmt(args).and_then(|()| {
        if newline {
            out.write_all(b"\n")
        } else {
            Ok(())
        }
    });
    if let Err(e) = r {
        std::process::exit(if e.kind() == std::io::ErrorKind::BrokenPipe {
            0
        } else {
            1
        });
    }
}

/// Write bytes to stdout (a whole report, feed or export), ending quietly on a closed pipe
/// (`dosewise calendar | head`) like [`write_out`].
pub fn write_raw(bytes: &[u8]) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(bytes).and_then(|()| out.flush()) {
        std::process::exit(if e.kind() == std::io::ErrorKind::BrokenPipe {
            0
        } else {
            1
        });
    }
}

/// `println!` for command output.
#[macro_export]
macro_rules! outln {
    () => { $crate::output::write_out(format_args!(""), true) };
    ($($t:tt)*) => { $crate::output::write_out(format_args!($($t)*), true) };
}

/// `print!` for command output.
#[macro_export]
macro_rules! out {
    ($($t:tt)*) => { $crate::output::write_out(format_args!($($t)*), false) };
}

/// Print one JSON document on stdout.
pub fn json<T: Serialize + ?Sized>(v: &T) -> CliResult {
    let s = serde_json::to_string_pretty(v).map_err(anyhow::Error::new)?;
    write_out(format_args!("{s}"), true);
    Ok(())
}

/// "2026-11-28 08:00 CET" in the given zone.
pub use dosewise_core::when::{local_text as local, local_text_in as local_in};

pub fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    // A header rule and plain columns: readable in any terminal and when pasted.
    const STYLE: TableStyle = TableStyle::new()
        .header_lines(ContentLineStyle::none().junction(' '))
        .header_separator(LineStyle::none().fill('─').junction(' '))
        .content_lines(ContentLineStyle::none().junction(' '));
    t.load_style(STYLE);
    t.set_header(header.to_vec());
    t
}

/// Optional value or a dash.
pub fn or_dash<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "–".to_string(), |v| v.to_string())
}
