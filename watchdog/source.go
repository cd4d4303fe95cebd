package watchdog

import "errors"

// errNoDevice is the reason OpenLive gives when libpcap finds no device
// and says nothing more.
var errNoDevice = errors.New("libpcap lists no device")
