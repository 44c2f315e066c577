//! One line per event, with a timestamp: `2026-01-01T00:00:00.000Z - message` like the
//! original by default, or a JSON object per line. Callers never pass secrets.

use std::io::Write;

use serde_json::{json, Value};

#[derive(Clone, Copy, Debug)]
pub struct Logger {
    pub json: bool,
}

impl Logger {
    pub fn info(&self, event: &str, message: &str, fields: Value) {
        self.write("info", event, message, fields);
    }

    pub fn warn(&self, event: &str, message: &str, fields: Value) {
        self.write("warn", event, message, fields);
    }

    pub fn error(&self, event: &str, message: &str, fields: Value) {
        self.write("error", event, message, fields);
    }

    fn write(&self, level: &str, event: &str, message: &str, fields: Value) {
        let ts = crate::journal::now();
        let line = if self.json {
            let mut obj = json!({"ts": ts, "level": level, "event": event, "msg": message});
            if let (Some(o), Value::Object(extra)) = (obj.as_object_mut(), fields) {
                for (k, v) in extra {
                    o.insert(k, v);
                }
            }
            obj.to_string()
        } else {
            format!("{ts} - {message}")
        };
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}
