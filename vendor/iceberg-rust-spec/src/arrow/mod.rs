/*!
 * Conversion from arrow to iceberg and vice-versa
*/

pub mod schema;
