//! The macros the layers share (declared first in `lib.rs`, so every module
//! after it can use them).

/// `get_ref`, `get_mut` and `into_inner` for a layer's service, whose
/// wrapped service is its field `inner` (as tower-http's services give).
/// With a list of its other fields (shared, `Arc`ed state), also `Clone`
/// bounded on the wrapped service only (a derive would also require the
/// verifier or token source to be `Clone`).
macro_rules! service_impls {
    ($ty:ident<$($param:ident),+>) => {
        impl<$($param),+> $ty<$($param),+> {
            /// The wrapped service.
            pub fn get_ref(&self) -> &S {
                &self.inner
            }

            /// The wrapped service, mutably.
            pub fn get_mut(&mut self) -> &mut S {
                &mut self.inner
            }

            /// The wrapped service, unwrapped.
            pub fn into_inner(self) -> S {
                self.inner
            }
        }
    };
    ($ty:ident<$($param:ident),+> { $($field:ident),+ }) => {
        service_impls!($ty<$($param),+>);

        impl<$($param),+> Clone for $ty<$($param),+>
        where
            S: Clone,
        {
            fn clone(&self) -> Self {
                $ty {
                    inner: self.inner.clone(),
                    $($field: self.$field.clone()),+
                }
            }
        }
    };
}
