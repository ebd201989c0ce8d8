//! Dosewise's documents, rendered from the journal by pure functions: the clinician report
//! (HTML with a print stylesheet; `report`), the SVG charts it and the web pages share
//! (`chart`), and a protocol's iCalendar feed (`calendar`). No I/O, no clock: "now" and the
//! zone are arguments.

pub mod calendar;
pub mod chart;
pub mod csv;
pub mod report;
pub mod trial;
