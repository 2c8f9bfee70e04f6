//! The macro behind the error-kind enums.

/// Defines an error-kind enum in which every variant carries its doc and its one-line
/// message, and derives `ALL` (every variant, in order), `message()` and `Display` from
/// that one list, so that they cannot drift apart.
macro_rules! error_kinds {
    (
        $(#[$enum_meta:meta])*
        pub enum $name:ident {
            $( $(#[$meta:meta])* $variant:ident => $message:literal, )+
        }
    ) => {
        $(#[$enum_meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$meta])* $variant, )+
        }

        impl $name {
            /// Every kind, in declaration order. `spec-table.md` shows each at least once.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// A one-line description.
            pub const fn message(self) -> &'static str {
                match self {
                    $( $name::$variant => $message, )+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.message())
            }
        }
    };
}
