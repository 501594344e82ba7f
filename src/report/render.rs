//! The report as one self-contained HTML page: inline CSS, charts as inline SVG drawn by
//! `plotters` (axes, ticks, legends and labels are its, not hand-drawn), the figures behind
//! them as JSON in the page. No script, font, style sheet or image is loaded from anywhere:
//! the page opens from a file or an e-mail attachment with no network.
//!
//! Must never: put text from the data into the page unescaped (game and tag names are
//! arbitrary text), or fail because a chart has no rows.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{ChartData, Kind, Report};
use crate::{Error, Result};

/// Chart size in pixels (the page scales it down on narrow screens).
const SIZE: (u32, u32) = (760, 380);
/// Colours for series, in order: Okabe and Ito's palette, told apart with colour blindness.
const PALETTE: [RGBColor; 9] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
    RGBColor(240, 228, 66),
    RGBColor(0, 0, 0),
    RGBColor(150, 150, 150),
];
const FONT: &str = "sans-serif";

/// The last recorded runs as a small table ("" when none are recorded), and a notice when
/// the page shows an earlier run.
fn last_runs(c: &super::Coverage) -> String {
    let mut out = String::new();
    if let Some(run) = &c.as_of {
        out.push_str(&format!(
            "<p class=\"as-of\">Tables as run <code>{}</code> published them \
             (<code>--as-of</code>), not as they are now.</p>",
            escape(run)
        ));
    }
    if c.last_runs.is_empty() {
        return out;
    }
    out.push_str(
        "<table class=\"runs\"><caption>Last runs (<code>gamelake_runs</code>)</caption>\
         <tr><th>Run</th><th>Command</th><th>Status</th><th>Finished</th><th>Games rebuilt</th>\
         <th>Failed checks</th></tr>",
    );
    for r in &c.last_runs {
        out.push_str(&format!(
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&r.run_id),
            escape(&r.command),
            escape(&r.status),
            escape(&r.finished),
            r.games_processed.map_or("-".into(), thousands),
            r.checks_failed
        ));
    }
    out.push_str("</table>");
    out
}

/// The page: coverage, then each chart with its note and query, then the footer.
pub fn html(report: &Report) -> Result<String> {
    let mut body = String::new();
    for chart in &report.charts {
        body.push_str(&figure(chart)?);
    }
    let c = &report.coverage;
    let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let coverage = format!(
        "<dl class=\"coverage\">\
         <div><dt>Games held</dt><dd id=\"games-held\">{}</dd></div>\
         <div><dt>Newest <code>updated</code></dt><dd>{}</dd></div>\
         <div><dt>Games with details</dt><dd>{}</dd></div>\
         <div><dt>Details waiting</dt><dd>{}</dd></div>\
         <div><dt>Last ETL run</dt><dd>{}</dd></div>\
         <div><dt>Data as of</dt><dd>{}</dd></div></dl>{}",
        thousands(c.games.max(0) as u64),
        escape(&or_dash(&c.newest_updated)),
        thousands(c.games_with_details.max(0) as u64),
        c.details_waiting
            .map_or("-".into(), |n| thousands(n as u64)),
        escape(&or_dash(&c.run_id)),
        escape(&or_dash(&c.data_time)),
        last_runs(c),
    );
    let data = serde_json::to_string(report)
        .map_err(|e| Error::Internal(format!("report JSON: {e}")))?
        // Inside <script>, "</" could close the element early; "<\/" is the same JSON string.
        .replace("</", "<\\/");
    Ok(format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>The video-game market: gamelake report</title><style>{STYLE}</style></head>\
         <body><header><h1>The video-game market</h1>\
         <p>From the warehouse's published tables (namespace <code>{ns}</code>), made {generated}. \
         Each chart's SQL runs as it is in <code>gamelake sql</code> or Dremio.</p>{coverage}</header>\
         <main>{body}</main>\
         <footer>Data © <a href=\"https://rawg.io\">RAWG</a> · run <code>{run}</code> · data as of {time} · \
         made by gamelake</footer>\
         <script type=\"application/json\" id=\"gamelake-report\">{data}</script></body></html>\n",
        ns = escape(&report.namespace),
        generated = escape(&report.generated),
        run = escape(&or_dash(&c.run_id)),
        time = escape(&or_dash(&c.data_time)),
    ))
}

const STYLE: &str = "body{font-family:sans-serif;margin:0 auto;max-width:1600px;padding:1rem 2rem;color:#222;background:#fafafa}\
h1{margin:.2rem 0}header p{color:#555}\
.coverage{display:flex;flex-wrap:wrap;gap:.5rem 2rem;margin:1rem 0}.coverage dt{font-size:.8rem;color:#666}\
.coverage dd{margin:0;font-size:1.2rem;font-weight:bold}\
.runs{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}.runs td,.runs th{padding:.1rem .6rem;text-align:left}\
.runs caption{text-align:left;color:#666}.as-of{background:#fff3cd;padding:.3rem .6rem}\
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(560px,1fr));gap:1.5rem}\
figure{margin:0;background:#fff;border:1px solid #ddd;border-radius:6px;padding:1rem}\
figure h2{font-size:1.1rem;margin:0 0 .3rem}figure p{margin:.2rem 0 .6rem;color:#555;font-size:.9rem}\
figure svg{max-width:100%;height:auto}pre{white-space:pre-wrap;font-size:.8rem;background:#f3f3f3;padding:.5rem}\
table{border-collapse:collapse;font-size:.85rem;width:100%}th,td{text-align:left;padding:.15rem .4rem;border-bottom:1px solid #eee}\
td.num{text-align:right}.empty{color:#a33}footer{margin-top:2rem;color:#666;font-size:.9rem}";

fn figure(chart: &ChartData) -> Result<String> {
    let def = &chart.def;
    let content = if let Some(why) = &chart.missing {
        format!(
            "{}<p class=\"empty\">No data: {}.</p>",
            empty_svg("no data yet")?,
            escape(why)
        )
    } else if chart.rows.is_empty() {
        format!(
            "{}<p class=\"empty\">No data: the query returned no rows.</p>",
            empty_svg("no rows")?
        )
    } else if def.kind == Kind::Table {
        table(chart)
    } else {
        svg(chart)?
    };
    Ok(format!(
        "<figure id=\"{id}\" data-kind=\"{kind:?}\" data-rows=\"{rows}\"><h2>{title}</h2><p>{note}</p>\
         {content}<details><summary>SQL</summary><pre>{sql}</pre></details></figure>",
        id = def.id,
        kind = def.kind,
        rows = chart.rows.len(),
        title = escape(def.title),
        note = escape(def.note),
        sql = escape(&chart.query),
    ))
}

/// `s` safe as HTML text and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// 1234567 → "1,234,567": counts are read at a glance.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Column `i` of a row: a number, or text.
fn cell(chart: &ChartData, row: usize, i: usize) -> &serde_json::Value {
    chart
        .columns
        .get(i)
        .and_then(|c| chart.rows[row].get(c))
        .unwrap_or(&serde_json::Value::Null)
}

fn number(v: &serde_json::Value) -> f64 {
    match v {
        serde_json::Value::Number(n) => n.as_f64().unwrap_or(0.0),
        serde_json::Value::String(s) => s.parse().unwrap_or(0.0),
        _ => 0.0,
    }
}

fn text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "-".into(),
        other => other.to_string(),
    }
}

fn table(chart: &ChartData) -> String {
    let mut out = String::from("<table><thead><tr>");
    for c in &chart.columns {
        out.push_str(&format!("<th>{}</th>", escape(&c.replace('_', " "))));
    }
    out.push_str("</tr></thead><tbody>");
    for row in 0..chart.rows.len() {
        out.push_str("<tr>");
        for i in 0..chart.columns.len() {
            let v = cell(chart, row, i);
            let class = if v.is_number() { " class=\"num\"" } else { "" };
            out.push_str(&format!("<td{class}>{}</td>", escape(&text(v))));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

fn plot_error(e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("drawing a chart: {e}"))
}

/// Draws with `draw` on an SVG canvas of `size` and returns the SVG text.
fn draw_svg(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend, Shift>) -> Result<()>,
) -> Result<String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        draw(&root)?;
        root.present().map_err(plot_error)?;
    }
    Ok(out)
}

/// The frame every chart shares: margins, and room for the axis labels (`y_labels` wide).
fn frame<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, Shift>,
    y_labels: u32,
) -> ChartBuilder<'a, 'b, SVGBackend<'b>> {
    let mut b = ChartBuilder::on(root);
    b.margin(12)
        .x_label_area_size(44)
        .y_label_area_size(y_labels);
    b
}

fn empty_svg(what: &str) -> Result<String> {
    draw_svg(SIZE, |root| {
        root.draw(&Text::new(
            what.to_string(),
            (SIZE.0 as i32 / 2 - 40, SIZE.1 as i32 / 2),
            (FONT, 18).into_font().color(&RGBColor(150, 150, 150)),
        ))
        .map_err(plot_error)
    })
}

fn svg(chart: &ChartData) -> Result<String> {
    match chart.def.kind {
        Kind::StackedBars | Kind::Lines => by_series(chart),
        Kind::Histogram => histogram(chart),
        Kind::Bars => bars(chart),
        Kind::Scatter => scatter(chart),
        Kind::Table => Ok(table(chart)),
    }
}

/// One series of a chart: its name and its y at each x (`None`: no row for that x).
type Series = (String, Vec<Option<f64>>);

/// Rows (x, series, y) grouped: the x values in order, and per series (largest total
/// first, "Other" last) its y at each x.
fn series(chart: &ChartData) -> (Vec<f64>, Vec<Series>) {
    let mut xs: Vec<f64> = (0..chart.rows.len())
        .map(|r| number(cell(chart, r, 0)))
        .collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    let mut out: Vec<Series> = Vec::new();
    for r in 0..chart.rows.len() {
        let (x, name, y) = (
            number(cell(chart, r, 0)),
            text(cell(chart, r, 1)),
            number(cell(chart, r, 2)),
        );
        let slot = match out.iter().position(|(n, _)| *n == name) {
            Some(i) => i,
            None => {
                out.push((name, vec![None; xs.len()]));
                out.len() - 1
            }
        };
        if let Ok(i) = xs.binary_search_by(|v| v.total_cmp(&x)) {
            out[slot].1[i] = Some(y);
        }
    }
    let total = |s: &[Option<f64>]| s.iter().flatten().sum::<f64>();
    out.sort_by(|a, b| {
        (a.0 == "Other")
            .cmp(&(b.0 == "Other"))
            .then(total(&b.1).total_cmp(&total(&a.1)))
            .then(a.0.cmp(&b.0))
    });
    (xs, out)
}

fn by_series(chart: &ChartData) -> Result<String> {
    let (xs, series) = series(chart);
    let stacked = chart.def.kind == Kind::StackedBars;
    let top = if stacked {
        (0..xs.len())
            .map(|i| series.iter().filter_map(|(_, v)| v[i]).sum::<f64>())
            .fold(0.0, f64::max)
    } else {
        series
            .iter()
            .flat_map(|(_, v)| v.iter().flatten())
            .fold(0.0, |a: f64, b| a.max(*b))
    };
    let (first, last) = (xs[0], xs[xs.len() - 1]);
    let (x_desc, y_desc) = chart.def.axes;
    draw_svg(SIZE, |root| {
        let mut c = frame(root, 64)
            .build_cartesian_2d((first - 0.6)..(last + 0.6), 0.0..(top * 1.08).max(1.0))
            .map_err(plot_error)?;
        c.configure_mesh()
            .disable_x_mesh()
            .x_desc(x_desc)
            .y_desc(y_desc)
            .x_labels(xs.len().min(16) + 1)
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| short_number(*y))
            .label_style((FONT, 13))
            .draw()
            .map_err(plot_error)?;
        let mut base = vec![0.0; xs.len()];
        for (i, (name, values)) in series.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            let drawn = if stacked {
                let rects: Vec<_> = xs
                    .iter()
                    .zip(values)
                    .enumerate()
                    .filter_map(|(j, (x, v))| {
                        let v = (*v)?;
                        let r = Rectangle::new(
                            [(x - 0.38, base[j]), (x + 0.38, base[j] + v)],
                            color.filled(),
                        );
                        base[j] += v;
                        Some(r)
                    })
                    .collect();
                c.draw_series(rects).map_err(plot_error)?
            } else {
                let points: Vec<(f64, f64)> = xs
                    .iter()
                    .zip(values)
                    .filter_map(|(x, v)| Some((*x, (*v)?)))
                    .collect();
                // A line joins consecutive years only: a year without data breaks it.
                for run in points.chunk_by(|a, b| b.0 - a.0 <= 1.0) {
                    c.draw_series(LineSeries::new(run.to_vec(), color.stroke_width(2)))
                        .map_err(plot_error)?;
                }
                c.draw_series(
                    points
                        .into_iter()
                        .map(|p| Circle::new(p, 3, color.filled())),
                )
                .map_err(plot_error)?
            };
            drawn.label(name.clone()).legend(move |(x, y)| {
                Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled())
            });
        }
        c.configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(200, 200, 200))
            .label_font((FONT, 12))
            .draw()
            .map_err(plot_error)
    })
}

fn histogram(chart: &ChartData) -> Result<String> {
    let points: Vec<(f64, f64)> = (0..chart.rows.len())
        .map(|r| (number(cell(chart, r, 0)), number(cell(chart, r, 1))))
        .collect();
    let step = points
        .windows(2)
        .map(|w| w[1].0 - w[0].0)
        .filter(|d| *d > 0.0)
        .fold(f64::INFINITY, f64::min);
    let step = if step.is_finite() { step } else { 0.25 };
    let top = points.iter().map(|p| p.1).fold(0.0, f64::max);
    let (lo, hi) = (
        points.iter().map(|p| p.0).fold(f64::INFINITY, f64::min),
        points.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max) + step,
    );
    let (x_desc, y_desc) = chart.def.axes;
    draw_svg(SIZE, |root| {
        let mut c = frame(root, 64)
            .build_cartesian_2d(lo.min(0.0)..hi.max(5.0), 0.0..(top * 1.08).max(1.0))
            .map_err(plot_error)?;
        c.configure_mesh()
            .disable_x_mesh()
            .x_desc(x_desc)
            .y_desc(y_desc)
            .x_labels(11)
            .x_label_formatter(&|x| format!("{x:.1}"))
            .y_label_formatter(&|y| short_number(*y))
            .label_style((FONT, 13))
            .draw()
            .map_err(plot_error)?;
        c.draw_series(points.iter().map(|(x, y)| {
            Rectangle::new(
                [(*x + step * 0.05, 0.0), (*x + step * 0.95, *y)],
                PALETTE[0].filled(),
            )
        }))
        .map_err(plot_error)?;
        Ok(())
    })
}

/// Horizontal bars, first row on top; negative values to the left of zero.
fn bars(chart: &ChartData) -> Result<String> {
    let n = chart.rows.len();
    let rows: Vec<(String, f64)> = (0..n)
        .map(|r| (text(cell(chart, r, 0)), number(cell(chart, r, 1))))
        .collect();
    let lo = rows.iter().map(|r| r.1).fold(0.0, f64::min);
    let hi = rows.iter().map(|r| r.1).fold(0.0, f64::max);
    let pad = (hi - lo).max(1.0) * 0.06;
    let labels: Vec<String> = rows.iter().map(|r| shorten(&r.0, 28)).collect();
    let (y_desc, x_desc) = chart.def.axes;
    let height = (70 + 24 * n as u32).max(SIZE.1);
    draw_svg((SIZE.0, height), |root| {
        let mut c = frame(root, 200)
            .build_cartesian_2d(
                (lo - if lo < 0.0 { pad } else { 0.0 })..(hi + pad),
                -0.5..(n as f64 - 0.5),
            )
            .map_err(plot_error)?;
        c.configure_mesh()
            .disable_y_mesh()
            .x_desc(x_desc)
            .y_desc(y_desc)
            .y_labels(n)
            .y_label_formatter(&|y| {
                let i = y.round();
                if (y - i).abs() > 0.01 || i < 0.0 {
                    return String::new();
                }
                // Row 0 is drawn at the top.
                labels
                    .get(n.saturating_sub(1 + i as usize))
                    .cloned()
                    .unwrap_or_default()
            })
            .x_label_formatter(&|x| short_number(*x))
            .label_style((FONT, 12))
            .draw()
            .map_err(plot_error)?;
        c.draw_series(rows.iter().enumerate().map(|(i, (_, v))| {
            let y = (n - 1 - i) as f64;
            let color = if *v < 0.0 { PALETTE[5] } else { PALETTE[0] };
            Rectangle::new([(0.0, y - 0.36), (*v, y + 0.36)], color.filled())
        }))
        .map_err(plot_error)?;
        Ok(())
    })
}

fn scatter(chart: &ChartData) -> Result<String> {
    let points: Vec<(f64, f64)> = (0..chart.rows.len())
        .map(|r| {
            (
                number(cell(chart, r, 0)).max(1.0),
                number(cell(chart, r, 1)),
            )
        })
        .collect();
    let hi = points.iter().map(|p| p.0).fold(10.0, f64::max);
    let (x_desc, y_desc) = chart.def.axes;
    draw_svg(SIZE, |root| {
        let mut c = frame(root, 64)
            .build_cartesian_2d((1.0..hi * 1.2).log_scale(), 0.0..5.0)
            .map_err(plot_error)?;
        c.configure_mesh()
            .x_desc(x_desc)
            .y_desc(y_desc)
            .x_label_formatter(&|x| short_number(*x))
            .label_style((FONT, 13))
            .draw()
            .map_err(plot_error)?;
        c.draw_series(
            points
                .iter()
                .map(|p| Circle::new(*p, 2, PALETTE[0].mix(0.45).filled())),
        )
        .map_err(plot_error)?;
        Ok(())
    })
}

/// 1234 → "1.2k", 2500000 → "2.5M"; small numbers as they are.
fn short_number(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if a >= 1e3 {
        format!("{:.1}k", v / 1e3)
    } else if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let cut: String = s.chars().take(max - 1).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(999), "999");
        assert_eq!(short_number(2_500_000.0), "2.5M");
        assert_eq!(short_number(1_234.0), "1.2k");
        assert_eq!(short_number(12.0), "12");
        assert_eq!(short_number(0.25), "0.2");
    }
}
