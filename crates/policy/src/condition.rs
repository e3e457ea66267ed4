//! Condition operators: every family, `...IfExists`, and the `ForAllValues:` / `ForAnyValue:`
//! set qualifiers.
//!
//! See <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>
//! and <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html>.
//! Between the values listed for one key: OR; a negated operator needs the request value to
//! match none of them. Between keys and between operators: AND (done by the statement).

mod value;

use crate::context::{Context, ContextValue};
pub(crate) use value::{CondValue, Family};

/// The base operator, without qualifier or `IfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BaseOp {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

/// How a positive operator compares one request value with one policy value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cmp {
    Equals,
    EqualsIgnoreCase,
    Like,
    Lt,
    Le,
    Gt,
    Ge,
}

impl BaseOp {
    fn parse(name: &str) -> Option<Self> {
        use BaseOp::*;
        Some(match name {
            "StringEquals" => StringEquals,
            "StringNotEquals" => StringNotEquals,
            "StringEqualsIgnoreCase" => StringEqualsIgnoreCase,
            "StringNotEqualsIgnoreCase" => StringNotEqualsIgnoreCase,
            "StringLike" => StringLike,
            "StringNotLike" => StringNotLike,
            "NumericEquals" => NumericEquals,
            "NumericNotEquals" => NumericNotEquals,
            "NumericLessThan" => NumericLessThan,
            "NumericLessThanEquals" => NumericLessThanEquals,
            "NumericGreaterThan" => NumericGreaterThan,
            "NumericGreaterThanEquals" => NumericGreaterThanEquals,
            "DateEquals" => DateEquals,
            "DateNotEquals" => DateNotEquals,
            "DateLessThan" => DateLessThan,
            "DateLessThanEquals" => DateLessThanEquals,
            "DateGreaterThan" => DateGreaterThan,
            "DateGreaterThanEquals" => DateGreaterThanEquals,
            "Bool" => Bool,
            "BinaryEquals" => BinaryEquals,
            "IpAddress" => IpAddress,
            "NotIpAddress" => NotIpAddress,
            "ArnEquals" => ArnEquals,
            "ArnLike" => ArnLike,
            "ArnNotEquals" => ArnNotEquals,
            "ArnNotLike" => ArnNotLike,
            "Null" => Null,
            _ => return None,
        })
    }

    /// The value family, whether the operator is negated, and its positive comparison.
    pub(crate) fn shape(self) -> (Family, bool, Cmp) {
        use BaseOp::*;
        use Family as F;
        match self {
            StringEquals => (F::String, false, Cmp::Equals),
            StringNotEquals => (F::String, true, Cmp::Equals),
            StringEqualsIgnoreCase => (F::String, false, Cmp::EqualsIgnoreCase),
            StringNotEqualsIgnoreCase => (F::String, true, Cmp::EqualsIgnoreCase),
            StringLike => (F::String, false, Cmp::Like),
            StringNotLike => (F::String, true, Cmp::Like),
            NumericEquals => (F::Numeric, false, Cmp::Equals),
            NumericNotEquals => (F::Numeric, true, Cmp::Equals),
            NumericLessThan => (F::Numeric, false, Cmp::Lt),
            NumericLessThanEquals => (F::Numeric, false, Cmp::Le),
            NumericGreaterThan => (F::Numeric, false, Cmp::Gt),
            NumericGreaterThanEquals => (F::Numeric, false, Cmp::Ge),
            DateEquals => (F::Date, false, Cmp::Equals),
            DateNotEquals => (F::Date, true, Cmp::Equals),
            DateLessThan => (F::Date, false, Cmp::Lt),
            DateLessThanEquals => (F::Date, false, Cmp::Le),
            DateGreaterThan => (F::Date, false, Cmp::Gt),
            DateGreaterThanEquals => (F::Date, false, Cmp::Ge),
            Bool => (F::Bool, false, Cmp::Equals),
            BinaryEquals => (F::Binary, false, Cmp::Equals),
            IpAddress => (F::Ip, false, Cmp::Equals),
            NotIpAddress => (F::Ip, true, Cmp::Equals),
            ArnEquals | ArnLike => (F::Arn, false, Cmp::Like),
            ArnNotEquals | ArnNotLike => (F::Arn, true, Cmp::Like),
            Null => (F::Null, false, Cmp::Equals),
        }
    }
}

/// `ForAllValues:` / `ForAnyValue:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SetQualifier {
    None,
    ForAllValues,
    ForAnyValue,
}

/// A full operator name such as `ForAnyValue:StringLikeIfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Operator {
    pub(crate) base: BaseOp,
    pub(crate) if_exists: bool,
    pub(crate) set: SetQualifier,
}

impl Operator {
    /// Parses an operator name (case-sensitive, as IAM is). `NullIfExists` does not exist.
    pub(crate) fn parse(name: &str) -> Option<Self> {
        let (set, rest) = if let Some(r) = name.strip_prefix("ForAllValues:") {
            (SetQualifier::ForAllValues, r)
        } else if let Some(r) = name.strip_prefix("ForAnyValue:") {
            (SetQualifier::ForAnyValue, r)
        } else {
            (SetQualifier::None, name)
        };
        let (if_exists, rest) = match rest.strip_suffix("IfExists") {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let base = BaseOp::parse(rest)?;
        if base == BaseOp::Null && if_exists {
            return None;
        }
        Some(Self {
            base,
            if_exists,
            set,
        })
    }
}

/// One `operator: { key: values }` entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Condition {
    pub(crate) op: Operator,
    /// Lower-cased: condition keys are case-insensitive.
    pub(crate) key: String,
    pub(crate) values: Vec<CondValue>,
    /// The key and values as written, for explanations.
    pub(crate) written_key: String,
    pub(crate) texts: Vec<String>,
}

impl Operator {
    /// The operator's name as written in a policy.
    pub(crate) fn name(&self) -> String {
        let set = match self.set {
            SetQualifier::None => "",
            SetQualifier::ForAllValues => "ForAllValues:",
            SetQualifier::ForAnyValue => "ForAnyValue:",
        };
        let if_exists = if self.if_exists { "IfExists" } else { "" };
        format!("{set}{:?}{if_exists}", self.base)
    }
}

impl Condition {
    /// Evaluates the condition against the request's keys.
    pub(crate) fn evaluate(&self, ctx: &Context) -> bool {
        let (family, negated, cmp) = self.op.base.shape();
        let found = ctx.get_lower(&self.key);
        if family == Family::Null {
            // `Null: true` holds when the key is absent; an empty set counts as absent.
            let absent = match found {
                None => true,
                Some(ContextValue::Multi(v)) => v.is_empty(),
                Some(ContextValue::Single(_)) => false,
            };
            return self
                .values
                .iter()
                .any(|v| matches!(v, CondValue::Bool(Some(b)) if *b == absent));
        }
        let one = |request_value: &str| {
            let any = self
                .values
                .iter()
                .any(|p| p.compare(request_value, cmp, ctx));
            any != negated
        };
        match found {
            None => {
                self.op.if_exists
                    || match self.op.set {
                        SetQualifier::ForAllValues => true,
                        SetQualifier::ForAnyValue => false,
                        SetQualifier::None => negated,
                    }
            }
            Some(ContextValue::Single(v)) => one(v),
            Some(ContextValue::Multi(vs)) => match self.op.set {
                SetQualifier::ForAllValues => vs.iter().all(|v| one(v)),
                SetQualifier::ForAnyValue => vs.iter().any(|v| one(v)),
                // A plain operator on a multi-valued key: a positive one needs some value to
                // match, a negated one needs every value to avoid the listed ones.
                SetQualifier::None if negated => vs.iter().all(|v| one(v)),
                SetQualifier::None => vs.iter().any(|v| one(v)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_names() {
        let op = Operator::parse("ForAnyValue:StringLikeIfExists").unwrap();
        assert_eq!(op.base, BaseOp::StringLike);
        assert!(op.if_exists);
        assert_eq!(op.set, SetQualifier::ForAnyValue);
        assert!(Operator::parse("NullIfExists").is_none());
        assert!(Operator::parse("stringequals").is_none());
        assert!(Operator::parse("StringEqual").is_none());
        assert!(Operator::parse("ForAllValues:ForAnyValue:StringLike").is_none());
    }
}
