//! Crossing between Polars and arrow-rs through the Arrow C data interface, and shaping
//! frames to a table definition.
//!
//! This is the one place that moves data between the two Arrow implementations. Polars hands
//! out `Utf8View` strings, large offsets and no Iceberg field ids, so every frame is cast to
//! its table's arrow schema ([`crate::schema::TableDef::arrow_schema`]) before it is written.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch, make_array, new_empty_array};
use arrow::compute::{CastOptions, cast_with_options};
use arrow::ffi::{FFI_ArrowArray, FFI_ArrowSchema, from_ffi, to_ffi};
use arrow::row::{RowConverter, SortField};
use polars::prelude::{Column, CompatLevel, DataFrame, PlSmallStr, Series};

use crate::digest::Fnv1a;
use crate::schema::TableDef;
use crate::{Error, Result};

/// One Polars series as an arrow-rs array.
pub fn series_to_arrow(series: &Series) -> Result<ArrayRef> {
    let series = series.rechunk();
    let chunk = series.to_arrow(0, CompatLevel::newest());
    let field =
        polars_arrow::datatypes::Field::new(series.name().clone(), chunk.dtype().clone(), true);
    let c_array = polars_arrow::ffi::export_array_to_c(chunk);
    let c_schema = polars_arrow::ffi::export_field_to_c(&field);
    // SAFETY: both types are the `#[repr(C)]` ArrowArray / ArrowSchema structs of the Arrow C
    // data interface (transmute checks the sizes); ownership and the release callbacks move
    // with them, and arrow-rs validates the imported data.
    let (c_array, c_schema) = unsafe {
        (
            std::mem::transmute::<polars_arrow::ffi::ArrowArray, FFI_ArrowArray>(c_array),
            std::mem::transmute::<polars_arrow::ffi::ArrowSchema, FFI_ArrowSchema>(c_schema),
        )
    };
    let data = unsafe { from_ffi(c_array, &c_schema) }?;
    Ok(make_array(data))
}

/// One arrow-rs array as a Polars series.
pub fn arrow_to_series(name: &str, array: &ArrayRef) -> Result<Series> {
    let (c_array, c_schema) = to_ffi(&array.to_data())?;
    // SAFETY: as in `series_to_arrow`, in the other direction.
    let (c_array, c_schema) = unsafe {
        (
            std::mem::transmute::<FFI_ArrowArray, polars_arrow::ffi::ArrowArray>(c_array),
            std::mem::transmute::<FFI_ArrowSchema, polars_arrow::ffi::ArrowSchema>(c_schema),
        )
    };
    let field = unsafe { polars_arrow::ffi::import_field_from_c(&c_schema) }?;
    let imported =
        unsafe { polars_arrow::ffi::import_array_from_c(c_array, field.dtype().clone()) }?;
    Ok(Series::from_arrow(PlSmallStr::from(name), imported)?)
}

/// A record batch as a Polars frame.
pub fn batch_to_frame(batch: &RecordBatch) -> Result<DataFrame> {
    let columns = batch
        .schema()
        .fields()
        .iter()
        .zip(batch.columns())
        .map(|(f, a)| arrow_to_series(f.name(), a).map(Column::from))
        .collect::<Result<Vec<_>>>()?;
    Ok(DataFrame::new(batch.num_rows(), columns)?)
}

/// A frame shaped to a table: its columns in definition order, cast to the table's types,
/// required columns checked for nulls.
pub fn frame_to_batch(df: &DataFrame, def: &TableDef) -> Result<RecordBatch> {
    let schema = def.arrow_schema();
    let strict = CastOptions {
        safe: false,
        ..Default::default()
    };
    let mut arrays = Vec::with_capacity(def.columns.len());
    for (col, field) in def.columns.iter().zip(schema.fields()) {
        let column = df.column(&col.name).map_err(|_| {
            Error::Schema(format!(
                "{}: the ETL produced no column {:?}",
                def.name, col.name
            ))
        })?;
        let series = column.as_materialized_series();
        let array = if series.is_empty() {
            new_empty_array(field.data_type())
        } else {
            let raw = series_to_arrow(series)?;
            cast_with_options(&raw, field.data_type(), &strict).map_err(|e| {
                Error::Schema(format!(
                    "{}.{}: cannot store {} as {}: {e}",
                    def.name,
                    col.name,
                    raw.data_type(),
                    field.data_type()
                ))
            })?
        };
        if col.required && array.null_count() > 0 {
            return Err(Error::Schema(format!(
                "{}.{}: {} null values in a required column",
                def.name,
                col.name,
                array.null_count()
            )));
        }
        arrays.push(array);
    }
    Ok(RecordBatch::try_new(schema, arrays)?)
}

/// Rows converted to arrow's row format at once by [`fingerprint`].
const FINGERPRINT_ROWS: usize = 65_536;

/// A stable fingerprint of a batch's contents (FNV-1a over arrow's row format), used to skip
/// writing a table whose contents did not change. Rows must come in a deterministic order.
pub fn fingerprint(batch: &RecordBatch) -> Result<String> {
    let fields = batch
        .schema()
        .fields()
        .iter()
        .map(|f| SortField::new(f.data_type().clone()))
        .collect();
    let converter = RowConverter::new(fields)?;
    let mut hash = Fnv1a::default();
    // A slice at a time: the row format of a whole million-row table is hundreds of MB.
    for offset in (0..batch.num_rows()).step_by(FINGERPRINT_ROWS) {
        let slice = batch.slice(offset, FINGERPRINT_ROWS.min(batch.num_rows() - offset));
        let rows = converter.convert_columns(slice.columns())?;
        for row in rows.iter() {
            hash.feed_item(row.as_ref());
        }
    }
    Ok(format!("{:016x}-{}", hash.finish(), batch.num_rows()))
}

/// Concatenates batches of one schema (an empty list gives `None`).
pub fn concat(batches: &[RecordBatch]) -> Result<Option<RecordBatch>> {
    let Some(first) = batches.first() else {
        return Ok(None);
    };
    Ok(Some(arrow::compute::concat_batches(
        &Arc::clone(&first.schema()),
        batches,
    )?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};

    /// Converting slice by slice must hash the same bytes as converting the whole batch: a
    /// changed fingerprint makes the next run rewrite every table.
    #[test]
    fn the_fingerprint_does_not_depend_on_the_slice_size() {
        let n = FINGERPRINT_ROWS * 2 + 123;
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int64, false),
            Field::new("s", DataType::Utf8, true),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from_iter_values(0..n as i64)),
                Arc::new(StringArray::from_iter(
                    (0..n).map(|i| (i % 7 != 0).then(|| "x".repeat(i % 13))),
                )),
            ],
        )
        .expect("batch");
        let converter = RowConverter::new(vec![
            SortField::new(DataType::Int64),
            SortField::new(DataType::Utf8),
        ])
        .expect("converter");
        let rows = converter.convert_columns(batch.columns()).expect("rows");
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for row in rows.iter() {
            let bytes = row.as_ref();
            for b in (bytes.len() as u64).to_le_bytes().iter().chain(bytes) {
                hash ^= u64::from(*b);
                hash = hash.wrapping_mul(0x0100_0000_01b3);
            }
        }
        assert_eq!(
            fingerprint(&batch).expect("fingerprint"),
            format!("{hash:016x}-{n}")
        );
        assert_ne!(
            fingerprint(&batch.slice(1, n - 1)).expect("fingerprint"),
            fingerprint(&batch.slice(0, n - 1)).expect("fingerprint")
        );
    }
}
