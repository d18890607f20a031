/* coordd's logging: one line per event, lower case, key=value. */
#ifndef COORD_SERVER_LOG_H
#define COORD_SERVER_LOG_H

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

/* Current threshold; messages above it are skipped before formatting. */
extern enum log_level log_threshold;

void log_set_level(enum log_level level);
/* Parses "error|warn|info|debug"; -1 if unknown. */
int log_level_parse(const char *s);
void log_emit(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_at_(lvl, ...)                                                      \
    do {                                                                       \
        if ((lvl) <= log_threshold)                                            \
            log_emit((lvl), __VA_ARGS__);                                      \
    } while (0)
#define log_error(...) log_at_(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_at_(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_at_(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_at_(LOG_DEBUG, __VA_ARGS__)

#endif
