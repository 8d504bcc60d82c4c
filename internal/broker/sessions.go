package broker

import (
	"math/rand/v2"
	"sync"
	"time"
)

// FetchSessions is the broker's cache of incremental fetch sessions (KIP-227).
// Sessions belong to the broker, not to a connection. The cache holds at most
// max.incremental.fetch.session.cache.slots sessions; when full, the least
// recently used one is evicted, which is always safe: its client gets
// FETCH_SESSION_ID_NOT_FOUND and falls back to a full fetch.
type FetchSessions struct {
	max int
	mu  struct {
		sync.Mutex
		byID map[int32]*FetchSession
	}
}

// FetchSession is one session's state. Its fields are guarded by Mu, which the
// fetch handler holds while it updates and answers the session.
type FetchSession struct {
	ID int32
	Mu sync.Mutex
	// Epoch is the epoch the next incremental request must carry.
	Epoch    int32
	Parts    map[SessionKey]*SessionPartition
	Order    []SessionKey // request order, for fair rotation
	lastUsed time.Time
}

// SessionKey names a partition in a session.
type SessionKey struct {
	Topic     string
	TopicID   [16]byte
	Partition int32
}

// SessionPartition is what the session remembers of one partition: the
// client's last request fields and the metadata last sent back, so an
// incremental response can leave out partitions where nothing changed.
type SessionPartition struct {
	FetchOffset        int64
	MaxBytes           int32
	CurrentLeaderEpoch int32
	LastFetchedEpoch   int32

	Sent     bool
	HW       int64
	LSO      int64
	LogStart int64
	ErrCode  int16
}

// NewFetchSessions returns a cache with room for max sessions (0 disables
// sessions: every request that asks for one is served sessionless).
func NewFetchSessions(max int) *FetchSessions {
	fs := &FetchSessions{max: max}
	fs.mu.byID = make(map[int32]*FetchSession)
	return fs
}

// Create starts a new session, evicting the least recently used one if the
// cache is full. It returns nil when sessions are disabled.
func (fs *FetchSessions) Create() *FetchSession {
	if fs.max <= 0 {
		return nil
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if len(fs.mu.byID) >= fs.max {
		var oldest *FetchSession
		for _, s := range fs.mu.byID {
			if oldest == nil || s.lastUsed.Before(oldest.lastUsed) {
				oldest = s
			}
		}
		delete(fs.mu.byID, oldest.ID)
	}
	s := &FetchSession{Epoch: 1, Parts: make(map[SessionKey]*SessionPartition), lastUsed: time.Now()}
	for {
		s.ID = rand.Int32N(1<<31-1) + 1
		if _, taken := fs.mu.byID[s.ID]; !taken {
			break
		}
	}
	fs.mu.byID[s.ID] = s
	return s
}

// Get returns a session and marks it used, or nil.
func (fs *FetchSessions) Get(id int32) *FetchSession {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	s := fs.mu.byID[id]
	if s != nil {
		s.lastUsed = time.Now()
	}
	return s
}

// Remove drops a session.
func (fs *FetchSessions) Remove(id int32) {
	fs.mu.Lock()
	delete(fs.mu.byID, id)
	fs.mu.Unlock()
}

// Len is the number of cached sessions.
func (fs *FetchSessions) Len() int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return len(fs.mu.byID)
}
