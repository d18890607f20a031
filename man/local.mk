# man/: manual pages.
dist_man_MANS += man/coordd.8 man/coordd.conf.5
dist_man_MANS += man/coord-recipes.3
dist_man_MANS += man/coordctl.1
dist_man_MANS += man/libcoord.3
