//! `?page=&per_page=` parameters and the `{items, total, page, per_page}` envelope of every list.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;

pub const DEFAULT_PER_PAGE: u64 = 50;
pub const MAX_PER_PAGE: u64 = 200;
/// The largest page number. Databases take row offsets as signed 64-bit integers, so
/// `page × per_page` must fit one; a round bound far below that keeps the rule simple to state
/// (and exact in the OpenAPI document, whose numbers are doubles).
pub const MAX_PAGE: u64 = 1_000_000_000;

/// Page selection of a list request (1-based).
#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 1_000_000_000)]
    pub page: Option<u64>,
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<u64>,
}

/// A validated page selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u64,
    pub per_page: u64,
}

impl PageRequest {
    /// Rows to skip.
    pub fn offset(&self) -> u64 {
        (self.page - 1) * self.per_page
    }
}

impl PageQuery {
    /// Checks the bounds; out-of-range values are a 422 naming the field.
    pub fn validate(self) -> Result<PageRequest, ApiError> {
        let page = self.page.unwrap_or(1);
        let per_page = self.per_page.unwrap_or(DEFAULT_PER_PAGE);
        let mut errors = Vec::new();
        if !(1..=MAX_PAGE).contains(&page) {
            errors.push(crate::error::FieldError {
                field: "page".into(),
                code: "range".into(),
                message: format!("page must be between 1 and {MAX_PAGE}"),
            });
        }
        if !(1..=MAX_PER_PAGE).contains(&per_page) {
            errors.push(crate::error::FieldError {
                field: "per_page".into(),
                code: "range".into(),
                message: format!("per_page must be between 1 and {MAX_PER_PAGE}"),
            });
        }
        if errors.is_empty() {
            Ok(PageRequest { page, per_page })
        } else {
            Err(ApiError::Validation(errors))
        }
    }
}

/// `from`/`to` filters of time ranges: `from` after `to` is a 422 on `from`.
pub fn check_time_range(
    from: Option<chrono::DateTime<chrono::Utc>>,
    to: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<(), ApiError> {
    match (from, to) {
        (Some(from), Some(to)) if from > to => Err(ApiError::field(
            "from",
            "range",
            "from must not be after to",
        )),
        _ => Ok(()),
    }
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Number of items across all pages.
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, total: u64, request: PageRequest) -> Self {
        Self {
            items,
            total,
            page: request.page,
            per_page: request.per_page,
        }
    }
}

/// A case-insensitive substring match of `q` over `columns`, or `None` for an empty query.
/// `%`, `_` and `\` in the query match themselves.
pub fn text_search<C>(columns: &[C], q: Option<&str>) -> Option<sea_orm::Condition>
where
    C: sea_orm::ColumnTrait,
{
    use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
    let q = q.map(str::trim).filter(|q| !q.is_empty())?;
    let escaped: String = q
        .to_lowercase()
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    let pattern = format!("%{escaped}%");
    let mut condition = sea_orm::Condition::any();
    for column in columns {
        condition = condition.add(
            Expr::expr(Func::lower(Expr::col(column.as_column_ref())))
                .like(LikeExpr::new(pattern.clone()).escape('\\')),
        );
    }
    Some(condition)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bounds() {
        let ok = PageQuery {
            page: None,
            per_page: None,
        }
        .validate()
        .unwrap();
        assert_eq!(
            ok,
            PageRequest {
                page: 1,
                per_page: 50
            }
        );
        assert_eq!(
            PageQuery {
                page: Some(3),
                per_page: Some(200)
            }
            .validate()
            .unwrap()
            .offset(),
            400
        );
        let huge_pages = [(u64::MAX, 1), (u64::MAX, 200), (MAX_PAGE + 1, 1)];
        for (page, per_page) in [(0, 10), (1, 0), (1, 201)].into_iter().chain(huge_pages) {
            assert!(
                PageQuery {
                    page: Some(page),
                    per_page: Some(per_page)
                }
                .validate()
                .is_err(),
                "{page}/{per_page}"
            );
        }
        // The largest accepted selection still ends within the databases' signed 64-bit range.
        let last = PageQuery {
            page: Some(MAX_PAGE),
            per_page: Some(MAX_PER_PAGE),
        }
        .validate()
        .unwrap();
        assert!(last.offset() + last.per_page <= i64::MAX as u64);
    }
}
