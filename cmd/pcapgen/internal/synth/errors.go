package synth

import "errors"

// Errors returned by this package; test for them with errors.Is.
var (
	// ErrUnknownLink is returned by ParseLink for a name it does not know.
	ErrUnknownLink = errors.New("synth: unknown link type")
	// ErrUnknownFormat is returned by ParseFormat for a name it does not know.
	ErrUnknownFormat = errors.New("synth: unknown file format")
	// ErrUnknownScenario is returned for a scenario name that is not registered.
	ErrUnknownScenario = errors.New("synth: unknown scenario")
	// ErrAddress is returned for a packet whose addresses are missing or of
	// mixed families.
	ErrAddress = errors.New("synth: bad packet addresses")
	// ErrPacket is returned for a packet description with an out-of-range field.
	ErrPacket = errors.New("synth: bad packet description")
	// ErrLength is returned for a frame length outside 0..MaxFrameLen.
	ErrLength = errors.New("synth: bad frame length")
	// ErrSnaplen is returned for a snap length outside 1..MaxSnaplen.
	ErrSnaplen = errors.New("synth: bad snap length")
	// ErrTime is returned for a timestamp the chosen format cannot hold.
	ErrTime = errors.New("synth: timestamp out of range")
	// ErrFormat is returned when a scenario or event needs another file format.
	ErrFormat = errors.New("synth: wrong file format")
	// ErrEnded is returned for an event written after a cut record.
	ErrEnded = errors.New("synth: file already ended by a cut record")
	// ErrCount is returned for a packet count a scenario cannot produce.
	ErrCount = errors.New("synth: bad packet count")
)
