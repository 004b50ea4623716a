//! Bulk loading for the demo generator (filled in by the demo work).
