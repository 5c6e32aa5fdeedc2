//! The typed rows the reports read, tied to the tables' declared columns
//! (`compute::tables::catalog`): each row type names its table
//! (`TableRow::TABLE`), the loader reads only the columns the type has, and
//! a test builds a row from each table's declared types and reads it into
//! every row type, so a column renamed or retyped in the registry fails
//! there, naming the table and the field, not later on a page.

use anyhow::Result;
use polars::prelude::{col, DataFrame, IntoLazy, JsonFormat, JsonWriter, SerWriter};
use serde::de::{self, DeserializeOwned, Deserializer, Visitor};

/// A row type of one warehouse or metric table.
pub trait TableRow: DeserializeOwned {
    /// The table it is read from.
    const TABLE: &'static str;
    /// Fields the loader adds, not columns of the table.
    const DERIVED: &'static [&'static str] = &[];

    /// The fields it reads, by their column names.
    fn fields() -> Vec<&'static str> {
        struct_fields::<Self>()
    }
}

/// A table's rows as `T`, reading only `T`'s columns (dates arrive as
/// `YYYY-MM-DD` text). A field the frame lacks is left to serde: a default
/// where the type declares one (columns older warehouses lack), else an
/// error naming it.
pub fn read<T: TableRow>(df: DataFrame) -> Result<Vec<T>> {
    let wanted = T::fields();
    let keep: Vec<_> = df
        .get_column_names()
        .into_iter()
        .filter(|c| wanted.contains(&c.as_str()))
        .map(|c| col(c.as_str()))
        .collect();
    let mut df = df.lazy().select(keep).collect()?;
    let mut buf = Vec::new();
    JsonWriter::new(&mut buf)
        .with_json_format(JsonFormat::Json)
        .finish(&mut df)?;
    serde_json::from_slice(&buf)
        .map_err(|e| anyhow::anyhow!("cannot read table `{}` as the report's rows: {e}", T::TABLE))
}

/// The field names of a plain struct (no `flatten`), as serde sees them.
pub fn struct_fields<T: DeserializeOwned>() -> Vec<&'static str> {
    let mut probe = Fields(None);
    let _ = T::deserialize(&mut probe);
    probe.0.unwrap_or_default().to_vec()
}

/// A deserializer that only notes the field list serde asks a struct for.
struct Fields(Option<&'static [&'static str]>);

impl<'de> Deserializer<'de> for &mut Fields {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        self.0 = Some(fields);
        Err(de::Error::custom("fields noted"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use polars::prelude::DataType;
    use serde_json::{json, Map, Value};

    use super::*;
    use crate::compute::tables::catalog;
    use crate::report::load::*;

    /// A value of a declared type as the loader's JSON carries it; text is
    /// a word the typed text fields (`Evidence`) accept too.
    fn sample(dtype: &DataType) -> Value {
        match dtype {
            DataType::String => json!("certain"),
            DataType::Date => json!("2012-12-31"),
            DataType::Boolean => json!(true),
            DataType::UInt32 => json!(1),
            DataType::Float64 => json!(0.5),
            DataType::List(inner) => json!([sample(inner)]),
            other => panic!("no sample for the declared type {other}"),
        }
    }

    /// Every field `T` reads is a declared column of its table (or one the
    /// loader derives), and a row of the declared types reads as `T`.
    fn reads_its_declared_columns<T: TableRow>() {
        let table = catalog()
            .into_iter()
            .find(|t| t.name == T::TABLE)
            .unwrap_or_else(|| panic!("`{}` is not a declared table", T::TABLE));
        let fields = T::fields();
        assert!(!fields.is_empty(), "no fields found for {}", T::TABLE);
        for f in &fields {
            assert!(
                T::DERIVED.contains(f) || table.columns.iter().any(|c| c.name == *f),
                "the report reads `{}.{f}`, which the table does not declare",
                T::TABLE
            );
        }
        let row: Map<String, Value> = table
            .columns
            .iter()
            .filter(|c| fields.contains(&c.name))
            .map(|c| (c.name.to_string(), sample(&c.dtype)))
            .collect();
        if let Err(e) = serde_json::from_value::<T>(Value::Object(row)) {
            panic!(
                "a `{}` row of the declared types does not read: {e}",
                T::TABLE
            );
        }
    }

    #[test]
    fn every_row_type_reads_its_tables_declared_columns() {
        reads_its_declared_columns::<Subject>();
        reads_its_declared_columns::<MethodRate>();
        reads_its_declared_columns::<SubjectPeriod>();
        reads_its_declared_columns::<GroupPeriod>();
        reads_its_declared_columns::<Composition>();
        reads_its_declared_columns::<Breach>();
        reads_its_declared_columns::<Watch>();
        reads_its_declared_columns::<Grade>();
        reads_its_declared_columns::<LedgerSummary>();
        reads_its_declared_columns::<Headline>();
        reads_its_declared_columns::<Trend>();
        reads_its_declared_columns::<Change>();
        reads_its_declared_columns::<Detail>();
        reads_its_declared_columns::<Suggestion>();
        reads_its_declared_columns::<Case>();
        reads_its_declared_columns::<IntegrityFlag>();
    }

    /// The check catches a field the table does not have.
    #[test]
    #[should_panic(expected = "does not declare")]
    fn a_field_the_table_lacks_fails() {
        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        struct Wrong {
            subject_id: String,
            no_such_column: u64,
        }
        impl TableRow for Wrong {
            const TABLE: &'static str = "grades";
        }
        reads_its_declared_columns::<Wrong>();
    }

    /// … and a field whose type differs from the declared one.
    #[test]
    #[should_panic(expected = "does not read")]
    fn a_field_of_another_type_fails() {
        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        struct Wrong {
            subject_id: String,
            rate: u64,
        }
        impl TableRow for Wrong {
            const TABLE: &'static str = "grades";
        }
        reads_its_declared_columns::<Wrong>();
    }
}
