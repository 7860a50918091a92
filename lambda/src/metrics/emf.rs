//! Embedded Metric Format: one JSON object per event, which CloudWatch Logs
//! turns into a metric.

/// A metric's value and, by its variant, its unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    Count(u64),
    Milliseconds(f64),
}

impl Value {
    pub(super) fn unit(self) -> &'static str {
        match self {
            Value::Count(_) => "Count",
            Value::Milliseconds(_) => "Milliseconds",
        }
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Count(n) => write!(f, "{n}"),
            // Microsecond resolution; always a valid JSON number.
            Value::Milliseconds(ms) if ms.is_finite() && *ms >= 0.0 => write!(f, "{ms:.3}"),
            Value::Milliseconds(_) => f.write_str("0"),
        }
    }
}

/// `s` as a JSON string, quotes included.
pub(super) fn json_string(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

/// One EMF object: `namespace` is already a JSON string; names, units and
/// dimension values are fixed identifiers that need no escaping.
pub fn emf_line(
    namespace: &str,
    timestamp_ms: u128,
    name: &str,
    value: Value,
    dimension: Option<(&str, &str)>,
) -> String {
    let unit = value.unit();
    match dimension {
        Some((key, dimension_value)) => format!(
            concat!(
                r#"{{"_aws":{{"Timestamp":{ts},"CloudWatchMetrics":[{{"Namespace":{ns},"#,
                r#""Dimensions":[["{key}"]],"Metrics":[{{"Name":"{name}","Unit":"{unit}"}}]}}]}},"#,
                r#""{key}":"{dv}","{name}":{value}}}"#
            ),
            ts = timestamp_ms,
            ns = namespace,
            key = key,
            name = name,
            unit = unit,
            dv = dimension_value,
            value = value,
        ),
        None => format!(
            concat!(
                r#"{{"_aws":{{"Timestamp":{ts},"CloudWatchMetrics":[{{"Namespace":{ns},"#,
                r#""Dimensions":[[]],"Metrics":[{{"Name":"{name}","Unit":"{unit}"}}]}}]}},"#,
                r#""{name}":{value}}}"#
            ),
            ts = timestamp_ms,
            ns = namespace,
            name = name,
            unit = unit,
            value = value,
        ),
    }
}
