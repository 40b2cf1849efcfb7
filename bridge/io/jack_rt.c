/* Realtime JACK process callbacks: the daemon's audio input (a tap), and MIDI in and out and audio out at
 * exact frames (the daemon's MIDI ports, the test/demo/bench player).
 *
 * A process callback written in Python needs the interpreter lock. A JACK thread that waits for it while
 * another thread of the process holds it finishes its cycle late or not at all (jackd logs the client as
 * "not finished"): its input of that cycle is lost, its output silent, and the gap in the audio is a click.
 * These callbacks take no lock, allocate nothing and never enter Python. They only copy between JACK's
 * buffers and single-producer, single-consumer rings; Python reads and writes those rings through the
 * functions below, from its own threads, whenever it gets to it. A reader that has nothing to do sleeps on a
 * semaphore the callback posts when it has written (sem_post takes no lock and never blocks), instead of
 * waking up again and again to look.
 *
 * libjack is not linked: its functions are looked up in the library JACK-Client has already loaded
 * (jack_rt_init), so building this needs no JACK headers. The file is also an empty Python extension
 * module, so that setuptools builds and installs it; bridge/io/jack_rt.py loads it with cffi.
 */
#include <Python.h>

#include <dlfcn.h>
#include <errno.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef uint32_t jack_nframes_t;
typedef int (*process_callback_t)(jack_nframes_t frames, void *arg);
typedef struct {
    jack_nframes_t time;
    size_t size;
    unsigned char *buffer;
} jack_midi_event_t;

static int (*set_process_callback)(void *client, process_callback_t callback, void *arg);
static void *(*port_get_buffer)(void *port, jack_nframes_t frames);
static jack_nframes_t (*last_frame_time)(void *client);
static jack_nframes_t (*frames_since_cycle_start)(void *client);
static uint32_t (*midi_get_event_count)(void *buffer);
static int (*midi_event_get)(jack_midi_event_t *event, void *buffer, uint32_t index);
static void (*midi_clear_buffer)(void *buffer);
static int (*midi_event_write)(void *buffer, jack_nframes_t time, const unsigned char *data, size_t size);

#define LOOKUP(library, name, target) \
    if (!(*(void **)&(target) = dlsym(library, name))) return -1;

/* Find libjack's functions in the library of that name (JACK-Client's). Returns 0, or -1. */
int jack_rt_init(const char *library_name) {
    void *library = dlopen(library_name, RTLD_NOW | RTLD_LOCAL);
    if (!library) return -1;
    LOOKUP(library, "jack_set_process_callback", set_process_callback)
    LOOKUP(library, "jack_port_get_buffer", port_get_buffer)
    LOOKUP(library, "jack_last_frame_time", last_frame_time)
    LOOKUP(library, "jack_frames_since_cycle_start", frames_since_cycle_start)
    LOOKUP(library, "jack_midi_get_event_count", midi_get_event_count)
    LOOKUP(library, "jack_midi_event_get", midi_event_get)
    LOOKUP(library, "jack_midi_clear_buffer", midi_clear_buffer)
    LOOKUP(library, "jack_midi_event_write", midi_event_write)
    return 0;
}

static double monotonic_s(void) {  /* the clock of Python's time.monotonic() */
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

/* Counters and ring positions have one writer; the other side reads them with these. */
static uint64_t load(const uint64_t *value) { return __atomic_load_n(value, __ATOMIC_ACQUIRE); }
static void store(uint64_t *value, uint64_t new_value) { __atomic_store_n(value, new_value, __ATOMIC_RELEASE); }

/* Callback side: wake the reader, if it sleeps. A count above one would only wake it for nothing later. */
static void wake(sem_t *ready) {
    int value = 0;
    if (sem_getvalue(ready, &value) == 0 && value <= 0) sem_post(ready);
}

/* Reader side: sleep on `ready` until *counter reaches `target` or `timeout_s` passes; 1 if it was reached. */
static int wait_until(sem_t *ready, const uint64_t *counter, uint64_t target, double timeout_s) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);  /* sem_timedwait's clock */
    double seconds = (double)deadline.tv_nsec * 1e-9 + timeout_s;
    deadline.tv_sec += (time_t)seconds;
    deadline.tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9);
    while (load(counter) < target) {
        if (sem_timedwait(ready, &deadline) != 0 && errno == ETIMEDOUT) return load(counter) >= target;
    }
    return 1;
}

/* ---- The audio input: the mono mix of the input ports into a ring of float samples ------------------ */

#define TAP_MAX_PORTS 8

typedef struct {
    void *client;
    void *ports[TAP_MAX_PORTS];
    uint32_t n_ports;
    float *ring;
    uint64_t capacity;
    uint64_t written;           /* samples written since the start, published after them */
    uint64_t blocks;            /* process cycles run */
    uint64_t frames_skipped;    /* frames of cycles this client did not see (the timeline jumped) */
    uint64_t frames_repeated;   /* frames of cycles it saw twice */
    int64_t next_frame;         /* JACK frame time the next cycle should start at; -1 before the first */
    sem_t ready;                /* posted after each cycle's samples are written */
} jack_rt_tap;

static int tap_process(jack_nframes_t frames, void *arg) {
    jack_rt_tap *tap = arg;
    jack_nframes_t start = last_frame_time(tap->client);
    if (tap->next_frame >= 0 && start != (jack_nframes_t)tap->next_frame) {
        uint32_t gap = start - (jack_nframes_t)tap->next_frame;  /* frame times wrap at 32 bits */
        if (gap < 0x80000000u)
            store(&tap->frames_skipped, tap->frames_skipped + gap);
        else
            store(&tap->frames_repeated, tap->frames_repeated + (uint32_t)(0u - gap));
    }
    tap->next_frame = (jack_nframes_t)(start + frames);
    const float *inputs[TAP_MAX_PORTS];
    for (uint32_t p = 0; p < tap->n_ports; p++) inputs[p] = port_get_buffer(tap->ports[p], frames);
    float scale = 1.0f / (float)tap->n_ports;
    uint64_t position = tap->written;
    for (jack_nframes_t i = 0; i < frames; i++) {
        float sum = 0.0f;
        for (uint32_t p = 0; p < tap->n_ports; p++) sum += inputs[p][i];
        tap->ring[(position + i) % tap->capacity] = sum * scale;
    }
    store(&tap->written, position + frames);
    store(&tap->blocks, tap->blocks + 1);
    wake(&tap->ready);
    return 0;
}

void jack_rt_tap_free(jack_rt_tap *tap);

/* A tap on the client's input ports, its process callback set (before the client is activated). */
jack_rt_tap *jack_rt_tap_open(void *client, void **ports, uint32_t n_ports, uint64_t capacity) {
    if (n_ports == 0 || n_ports > TAP_MAX_PORTS || capacity == 0) return NULL;
    jack_rt_tap *tap = calloc(1, sizeof(jack_rt_tap));
    if (!tap || !(tap->ring = calloc(capacity, sizeof(float)))) {
        free(tap);
        return NULL;
    }
    tap->client = client, tap->n_ports = n_ports, tap->capacity = capacity, tap->next_frame = -1;
    memcpy(tap->ports, ports, n_ports * sizeof(void *));
    if (sem_init(&tap->ready, 0, 0)) {
        free(tap->ring);
        free(tap);
        return NULL;
    }
    if (set_process_callback(client, tap_process, tap)) {
        jack_rt_tap_free(tap);
        return NULL;
    }
    return tap;
}

/* Only once its client is closed: the callback must never run again, and no thread waits. */
void jack_rt_tap_free(jack_rt_tap *tap) {
    sem_destroy(&tap->ready);
    free(tap->ring);
    free(tap);
}

/* Sleep until `samples` samples have been written since the start, or `timeout_s` passes; 1 if they have. */
int jack_rt_tap_wait(jack_rt_tap *tap, uint64_t samples, double timeout_s) {
    return wait_until(&tap->ready, &tap->written, samples, timeout_s);
}

/* written, blocks, frames_skipped, frames_repeated */
void jack_rt_tap_counts(const jack_rt_tap *tap, uint64_t counts[4]) {
    counts[0] = load(&tap->written), counts[1] = load(&tap->blocks);
    counts[2] = load(&tap->frames_skipped), counts[3] = load(&tap->frames_repeated);
}

/* Copy up to max_samples from absolute position on into out; returns how many. *missed gets the samples
 * overwritten before they could be read: the copy starts after them. */
uint64_t jack_rt_tap_read(const jack_rt_tap *tap, uint64_t position, float *out, uint64_t max_samples,
                          uint64_t *missed) {
    uint64_t written = load(&tap->written);
    *missed = written > tap->capacity + position ? written - tap->capacity - position : 0;
    position += *missed;
    uint64_t n = written - position < max_samples ? written - position : max_samples;
    for (uint64_t i = 0; i < n; i++) out[i] = tap->ring[(position + i) % tap->capacity];
    /* The callback may have overwritten the oldest of them meanwhile: those are missed, not read. */
    uint64_t after = load(&tap->written);
    if (after > tap->capacity + position) {
        uint64_t lost = after - tap->capacity - position;
        if (lost > n) lost = n;
        memmove(out, out + lost, (n - lost) * sizeof(float));
        *missed += lost;
        n -= lost;
    }
    return n;
}

/* ---- A client's MIDI out at exact frames, MIDI in with frame times, audio out from a frame on ------ */

#define EVENT_BYTES 32

typedef struct {
    int64_t frame;
    uint64_t order;             /* events of one frame go out in the order they were sent */
    uint32_t size;
    unsigned char data[EVENT_BYTES];
} jack_rt_event;

typedef struct {
    int64_t frame;              /* JACK frame time of the event, unwrapped */
    double time_s;              /* its time.monotonic(): the cycle's start plus its offset */
    uint32_t size;              /* its full size; at most EVENT_BYTES of it are kept */
    unsigned char data[EVENT_BYTES];
} jack_rt_received;

typedef struct {
    const float *samples;       /* Python's until the callback has taken a later one */
    uint64_t length;
    int64_t start_frame;        /* JACK frame time of the first sample, or NEXT_CYCLE */
} jack_rt_audio;

/* A start frame that means: from the start of the cycle that takes the audio. Python's estimate of the
 * frame time can lag the cycle's start by a few frames, and audio placed there would lose them. */
#define NEXT_CYCLE INT64_MIN

typedef struct {
    void *client, *midi_out, *midi_in, *audio_out;
    double sample_rate_hz;
    uint64_t capacity;          /* of each ring and of the heap */
    /* Python -> callback: events to send (head advanced by Python, tail by the callback) */
    jack_rt_event *outbox;
    uint64_t outbox_head, outbox_tail, sent;
    /* callback only: events waiting for their cycle, a binary heap on (frame, order) */
    jack_rt_event *pending;
    uint64_t pending_count;
    /* callback -> Python: events received */
    jack_rt_received *inbox;
    uint64_t inbox_head, inbox_tail, inbox_dropped;
    sem_t received;             /* posted after a cycle that received events */
    /* Python -> callback: the audio to play, handed over whole; the callback takes it at its next cycle */
    jack_rt_audio *next_audio, *audio_taken;
    jack_rt_audio audio;        /* callback only: what plays (samples NULL when nothing) */
    int64_t start;              /* callback only: the cycle's start frame, unwrapped; -1 before the first */
    /* callback -> Python */
    uint64_t late_events, worst_late_frames;
} jack_rt_client;

static int event_before(const jack_rt_event *a, const jack_rt_event *b) {
    return a->frame < b->frame || (a->frame == b->frame && a->order < b->order);
}

static void heap_push(jack_rt_client *rt, const jack_rt_event *event) {
    uint64_t i = rt->pending_count++;
    while (i > 0) {
        uint64_t parent = (i - 1) / 2;
        if (!event_before(event, &rt->pending[parent])) break;
        rt->pending[i] = rt->pending[parent];
        i = parent;
    }
    rt->pending[i] = *event;
}

static void heap_pop(jack_rt_client *rt) {
    uint64_t n = --rt->pending_count, i = 0;
    if (n == 0) return;
    jack_rt_event last = rt->pending[n];
    for (;;) {
        uint64_t child = 2 * i + 1;
        if (child >= n) break;
        if (child + 1 < n && event_before(&rt->pending[child + 1], &rt->pending[child])) child++;
        if (!event_before(&rt->pending[child], &last)) break;
        rt->pending[i] = rt->pending[child];
        i = child;
    }
    rt->pending[i] = last;
}

/* JACK's frame times wrap at 32 bits (after 24.8 hours at 48 kHz). The frame within 12 hours of `near`
 * whose low 32 bits are those of `frame`: frames Python gives are unwrapped by the cycle they come in. */
static int64_t unwrap(int64_t near, int64_t frame) {
    return near + (int32_t)((uint32_t)frame - (uint32_t)near);
}

static void client_midi_out(jack_rt_client *rt, int64_t start, jack_nframes_t frames) {
    void *buffer = port_get_buffer(rt->midi_out, frames);
    midi_clear_buffer(buffer);
    uint64_t head = load(&rt->outbox_head), tail = rt->outbox_tail;
    for (; tail != head && rt->pending_count < rt->capacity; tail++) {
        jack_rt_event event = rt->outbox[tail % rt->capacity];
        event.frame = unwrap(start, event.frame);
        heap_push(rt, &event);
    }
    store(&rt->outbox_tail, tail);
    while (rt->pending_count && rt->pending[0].frame < start + frames) {
        const jack_rt_event *event = &rt->pending[0];
        int64_t offset = event->frame - start;
        if (midi_event_write(buffer, offset > 0 ? (jack_nframes_t)offset : 0, event->data, event->size))
            break;  /* the port's buffer is full: the rest go out next cycle, late */
        if (offset < 0) {  /* this client missed the cycle the event was due in */
            store(&rt->late_events, rt->late_events + 1);
            if ((uint64_t)-offset > rt->worst_late_frames) store(&rt->worst_late_frames, (uint64_t)-offset);
        }
        heap_pop(rt);
    }
}

static void client_midi_in(jack_rt_client *rt, int64_t start, jack_nframes_t frames, double cycle_start_s) {
    void *buffer = port_get_buffer(rt->midi_in, frames);
    uint32_t count = midi_get_event_count(buffer);
    uint64_t head = rt->inbox_head, tail = load(&rt->inbox_tail);
    for (uint32_t i = 0; i < count; i++) {
        jack_midi_event_t event;
        if (midi_event_get(&event, buffer, i)) continue;
        if (head - tail >= rt->capacity) {
            store(&rt->inbox_dropped, rt->inbox_dropped + 1);
            continue;
        }
        jack_rt_received *slot = &rt->inbox[head++ % rt->capacity];
        slot->frame = start + event.time;
        slot->time_s = cycle_start_s + event.time / rt->sample_rate_hz;
        slot->size = (uint32_t)event.size;
        memcpy(slot->data, event.buffer, event.size < EVENT_BYTES ? event.size : EVENT_BYTES);
    }
    if (head != rt->inbox_head) {
        store(&rt->inbox_head, head);
        wake(&rt->received);
    }
}

static void client_audio_out(jack_rt_client *rt, int64_t start, jack_nframes_t frames) {
    float *buffer = port_get_buffer(rt->audio_out, frames);
    memset(buffer, 0, frames * sizeof(float));
    jack_rt_audio *next = __atomic_load_n(&rt->next_audio, __ATOMIC_ACQUIRE);
    if (next != rt->audio_taken) {
        rt->audio = *next;
        rt->audio.start_frame = next->start_frame == NEXT_CYCLE ? start : unwrap(start, next->start_frame);
        __atomic_store_n(&rt->audio_taken, next, __ATOMIC_RELEASE);
    }
    const jack_rt_audio *audio = &rt->audio;
    if (!audio->samples) return;
    /* Placed by frame time, not by counting cycles: a cycle this client misses loses its period of
     * audio, as a sound card would, instead of delaying the rest. */
    int64_t offset = start - audio->start_frame, length = (int64_t)audio->length;
    int64_t first = offset > 0 ? offset : 0;
    int64_t last = offset + frames < length ? offset + frames : length;
    for (int64_t i = first; i < last; i++) buffer[i - offset] = audio->samples[i];
    if (offset + frames >= length) rt->audio.samples = NULL;
}

static int client_process(jack_nframes_t frames, void *arg) {
    jack_rt_client *rt = arg;
    jack_nframes_t start_low = last_frame_time(rt->client);
    int64_t start = rt->start = rt->start < 0 ? start_low : unwrap(rt->start, start_low);
    double cycle_start_s = monotonic_s() - frames_since_cycle_start(rt->client) / rt->sample_rate_hz;
    if (rt->midi_out) client_midi_out(rt, start, frames);
    if (rt->midi_in) client_midi_in(rt, start, frames, cycle_start_s);
    if (rt->audio_out) client_audio_out(rt, start, frames);
    return 0;
}

void jack_rt_client_free(jack_rt_client *rt);

/* Callbacks on any of the client's three ports (NULL for one it lacks), set before the client is activated.
 * capacity: events each of its rings holds. */
jack_rt_client *jack_rt_client_open(void *client, void *midi_out, void *midi_in, void *audio_out,
                                    double sample_rate_hz, uint64_t capacity) {
    jack_rt_client *rt = calloc(1, sizeof(jack_rt_client));
    if (!rt) return NULL;
    rt->client = client, rt->midi_out = midi_out, rt->midi_in = midi_in, rt->audio_out = audio_out;
    rt->sample_rate_hz = sample_rate_hz, rt->capacity = capacity, rt->start = -1;
    rt->outbox = calloc(capacity, sizeof(jack_rt_event));
    rt->pending = calloc(capacity, sizeof(jack_rt_event));
    rt->inbox = calloc(capacity, sizeof(jack_rt_received));
    if (!rt->outbox || !rt->pending || !rt->inbox || sem_init(&rt->received, 0, 0)) {
        free(rt->outbox), free(rt->pending), free(rt->inbox), free(rt);
        return NULL;
    }
    if (set_process_callback(client, client_process, rt)) {
        jack_rt_client_free(rt);
        return NULL;
    }
    return rt;
}

/* Only once its client is closed: the callback must never run again, and no thread waits. */
void jack_rt_client_free(jack_rt_client *rt) {
    sem_destroy(&rt->received);
    free(rt->outbox), free(rt->pending), free(rt->inbox), free(rt);
}

/* The functions below are Python's side: send and play from one thread at a time, receive from one thread
 * at a time. */

/* Queue an event for JACK frame time `frame` (within 12 hours of now, wrapped or not). Returns 0, or -1 when it is
 * too long or the queue is full. */
int jack_rt_client_send(jack_rt_client *rt, int64_t frame, const unsigned char *data, uint32_t size) {
    uint64_t head = rt->outbox_head;
    if (size > EVENT_BYTES || head - load(&rt->outbox_tail) >= rt->capacity) return -1;
    jack_rt_event *event = &rt->outbox[head % rt->capacity];
    event->frame = frame, event->order = rt->sent++, event->size = size;
    memcpy(event->data, data, size);
    store(&rt->outbox_head, head + 1);
    return 0;
}

/* Sleep until an event not yet moved out has been received, or `timeout_s` passes; 1 if one has. */
int jack_rt_client_wait(jack_rt_client *rt, double timeout_s) {
    return wait_until(&rt->received, &rt->inbox_head, rt->inbox_tail + 1, timeout_s);
}

/* Move up to max_events received events into out; returns how many. */
uint64_t jack_rt_client_receive(jack_rt_client *rt, jack_rt_received *out, uint64_t max_events) {
    uint64_t tail = rt->inbox_tail, head = load(&rt->inbox_head), n = 0;
    for (; tail != head && n < max_events; tail++, n++) out[n] = rt->inbox[tail % rt->capacity];
    store(&rt->inbox_tail, tail);
    return n;
}

/* Play `audio` (replacing what plays) from its start frame on. */
void jack_rt_client_play(jack_rt_client *rt, jack_rt_audio *audio) {
    __atomic_store_n(&rt->next_audio, audio, __ATOMIC_RELEASE);
}

/* Whether the callback has taken the audio handed over last: every one before it is free again. */
int jack_rt_client_taken(const jack_rt_client *rt) {
    return __atomic_load_n(&rt->audio_taken, __ATOMIC_ACQUIRE) == rt->next_audio;
}

/* late_events, worst_late_frames, inbox_dropped */
void jack_rt_client_counts(const jack_rt_client *rt, uint64_t counts[3]) {
    counts[0] = load(&rt->late_events), counts[1] = load(&rt->worst_late_frames);
    counts[2] = load(&rt->inbox_dropped);
}

/* ---- An empty Python module, so that setuptools builds this file as an extension ----------------- */

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, .m_name = "_jack_rt", .m_doc = "Realtime JACK callbacks: see bridge.io.jack_rt.", .m_size = -1};

PyMODINIT_FUNC PyInit__jack_rt(void) { return PyModule_Create(&module); }
