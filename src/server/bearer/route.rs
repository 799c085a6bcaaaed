//! [`Route`]: which requests a rule covers.

use std::fmt;

/// Which requests a rule of [`BearerAuthBuilder`](super::BearerAuthBuilder) covers: a path, as a
/// prefix or exact, and optionally one HTTP method.
///
/// A string is a **prefix on segment boundaries**: `"/orders"` covers
/// `/orders` and everything under `/orders/`, never `/orders-archive`. So a
/// gRPC service name covers its methods whichever way it is written
/// (`"pkg.Svc"`, `"/pkg.Svc"`, `"/pkg.Svc/"`), and `"/pkg.Svc/Method"` one
/// method. An exact path is spelled [`Route::exact`].
///
/// ```
/// use auth_error::server::Route;
/// let service = Route::from("orders.v1.Orders");
/// assert!(service.covers(&http::Method::POST, "/orders.v1.Orders/Get"));
/// assert!(!service.covers(&http::Method::POST, "/orders.v1.OrdersAdmin/Get"));
///
/// let delete = Route::from("/orders").with_method(http::Method::DELETE);
/// assert!(delete.covers(&http::Method::DELETE, "/orders/42"));
/// assert!(!delete.covers(&http::Method::GET, "/orders/42"));
///
/// let health = Route::exact("/healthz");
/// assert!(!health.covers(&http::Method::GET, "/healthz/x"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// Starts with `/`; a prefix has no trailing `/` (but may be `/`).
    pub(super) path: String,
    pub(super) exact: bool,
    method: Option<http::Method>,
}

impl Route {
    /// `path` and everything under it (`path/…`). A leading `/` is added
    /// when missing, a trailing one removed.
    pub fn prefix(path: impl Into<String>) -> Self {
        let mut path = path.into();
        if !path.starts_with('/') {
            path.insert(0, '/');
        }
        while path.len() > 1 && path.ends_with('/') {
            path.pop();
        }
        Route {
            path,
            exact: false,
            method: None,
        }
    }

    /// Exactly `path`, nothing under it.
    pub fn exact(path: impl Into<String>) -> Self {
        Route {
            path: path.into(),
            exact: true,
            method: None,
        }
    }

    /// Only requests with `method` (HTTP rules: GET and DELETE on one path).
    /// A `GET` route covers `HEAD` too: servers answer `HEAD` with the `GET`
    /// handler (axum does), so a `GET` rule it skipped would leak the
    /// handler's headers.
    #[must_use]
    pub fn with_method(mut self, method: http::Method) -> Self {
        self.method = Some(method);
        self
    }

    /// Whether a request with `method` on `path` is covered.
    pub fn covers(&self, method: &http::Method, path: &str) -> bool {
        self.covers_method(method) && self.covers_path(path)
    }

    pub(super) fn covers_method(&self, method: &http::Method) -> bool {
        self.method.as_ref().is_none_or(|m| {
            m == method || (*m == http::Method::GET && method == http::Method::HEAD)
        })
    }

    pub(super) fn covers_path(&self, path: &str) -> bool {
        if self.exact || self.path == "/" {
            return if self.exact {
                path == self.path
            } else {
                path.starts_with('/')
            };
        }
        path.strip_prefix(self.path.as_str())
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    }

    /// Whether every request this route covers, `outer` covers too.
    pub(super) fn within(&self, outer: &Route) -> bool {
        let methods = match &self.method {
            None => outer.method.is_none(),
            Some(m) => outer.covers_method(m),
        };
        let paths = if self.exact {
            outer.covers_path(&self.path)
        } else {
            !outer.exact && outer.covers_path(&self.path)
        };
        methods && paths
    }

    /// Why this route can only be a mistake, if it can.
    pub(super) fn problem(&self) -> Option<&'static str> {
        if !self.path.starts_with('/') {
            return Some("a request path starts with `/`");
        }
        if self.path.contains("//") {
            return Some("an empty path segment (`//`)");
        }
        if self
            .path
            .chars()
            .any(|c| matches!(c, '?' | '#' | '*') || c.is_whitespace() || c.is_control())
        {
            return Some(
                "`?`, `#`, `*`, whitespace or control characters never match a request path (no globs, no queries)",
            );
        }
        None
    }
}

impl From<&str> for Route {
    /// [`Route::prefix`].
    fn from(path: &str) -> Self {
        Route::prefix(path)
    }
}

impl From<String> for Route {
    /// [`Route::prefix`].
    fn from(path: String) -> Self {
        Route::prefix(path)
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(method) = &self.method {
            write!(f, "{method} ")?;
        }
        let kind = if self.exact { "exactly" } else { "under" };
        write!(f, "{kind} {}", self.path.escape_debug())
    }
}
