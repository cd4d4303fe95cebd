package watchdog

import "time"

// episodeStart is when the subnet's detail-logging episode began, for
// report.Line.Since: the zero Time when it is not logging.
func (st *state) episodeStart() time.Time {
	if st.detail == nil {
		return time.Time{}
	}
	return toTime(st.detail.episode)
}
