//! Request validation with the `validator` crate, turned into 422 field errors.

use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use crate::error::{ApiError, FieldError};

/// Validates a request body, mapping every failure to a [`FieldError`].
pub fn validate<T: Validate>(value: &T) -> Result<(), ApiError> {
    value
        .validate()
        .map_err(|errors| ApiError::Validation(field_errors(&errors)))
}

/// Flattens nested validation errors into `field` / `a.b` / `a[0].b` paths, sorted by field.
pub fn field_errors(errors: &ValidationErrors) -> Vec<FieldError> {
    let mut out = Vec::new();
    collect(errors, "", &mut out);
    out.sort_by(|a, b| a.field.cmp(&b.field));
    out
}

fn collect(errors: &ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                // One error per field: the first rule that failed is the one to fix first.
                if let Some(e) = list.first() {
                    out.push(FieldError {
                        field: path.clone(),
                        code: e.code.to_string(),
                        message: e
                            .message
                            .as_ref()
                            .map(|m| m.to_string())
                            .unwrap_or_else(|| describe(e)),
                    });
                }
            }
            ValidationErrorsKind::Struct(inner) => collect(inner, &path, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    collect(inner, &format!("{path}[{index}]"), out);
                }
            }
        }
    }
}

/// A sentence for the built-in rules, using their parameters.
fn describe(error: &validator::ValidationError) -> String {
    let param = |name: &str| error.params.get(name).map(|v| v.to_string());
    match error.code.as_ref() {
        "length" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be between {min} and {max} characters long"),
            (Some(min), None) => format!("must be at least {min} characters long"),
            (None, Some(max)) => format!("must be at most {max} characters long"),
            _ => "has an invalid length".into(),
        },
        "email" => "must be a valid email address".into(),
        "range" => "is out of range".into(),
        other => format!("is invalid ({other})"),
    }
}

/// Codes and names: lower-case letters, digits, `-` and `_`, starting with a letter or digit.
pub fn code(value: &str) -> Result<(), validator::ValidationError> {
    let mut chars = value.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if first_ok
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        Ok(())
    } else {
        Err(validator::ValidationError::new("format").with_message(
            "use lower-case letters, digits, '-' and '_', starting with a letter or digit".into(),
        ))
    }
}

/// Usernames: like codes, plus `.`.
pub fn username(value: &str) -> Result<(), validator::ValidationError> {
    code(&value.replace('.', "-")).map_err(|_| {
        validator::ValidationError::new("format").with_message(
            "use lower-case letters, digits, '.', '-' and '_', starting with a letter or digit"
                .into(),
        )
    })
}

/// Text that must not be only whitespace.
pub fn not_blank(value: &str) -> Result<(), validator::ValidationError> {
    if value.trim().is_empty() {
        Err(validator::ValidationError::new("blank").with_message("must not be blank".into()))
    } else {
        Ok(())
    }
}

/// Deserializer for PATCH fields that may be cleared: absent → `None`, `null` → `Some(None)`,
/// a value → `Some(Some(v))`. Use with `#[serde(default, deserialize_with = "…")]`.
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    serde::Deserialize::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_accept_slugs_only() {
        assert!(code("shop-api_2").is_ok());
        assert!(code("Shop").is_err());
        assert!(code("-x").is_err());
        assert!(code("a b").is_err());
        assert!(code("").is_err());
    }

    #[test]
    fn usernames_allow_dots() {
        assert!(username("jane.doe").is_ok());
        assert!(username(".jane").is_err());
        assert!(username("Jane").is_err());
    }
}
