-- The integrity audit's flags of one assessment year (评议真实性核查, 需核实): each check that found something — a rater key stuffing a subject, a busy key, a device or collector burst, votes outside hours, a straight-lining collector or channel, face-to-face rates far above the random draw — with the subject, the figures behind it and q where it is a test. Nothing was removed from any figure.
-- param: year — the assessment year, e.g. 2012 (a window is a period, a day or a year: its first four characters)
-- example: year=2012
with flags as (
    select "check", unit, unit_id, subject_id, "window", first_at, last_at, n, threshold, share, baseline, baseline_n, gap_pp, q, note
    from integrity
    -- A check over all the data (straight-lining) has no window: listed every year.
    where flagged and ("window" is null or substr("window", 1, 4) = cast(:year as string))
)
select f."check", f.unit, f.unit_id, f.subject_id, s.name, s.township, f."window", f.first_at, f.last_at,
       f.n, f.threshold, f.share, f.baseline, f.baseline_n, f.gap_pp, f.q, f.note
from flags as f
left join subjects as s on s.subject_id = f.subject_id
order by f."check", f.subject_id, f.unit_id, f."window"
