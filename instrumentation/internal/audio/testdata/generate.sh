#!/bin/sh
# Regenerates the audio files the golden tests measure, with Debian's ffmpeg
# (apt-get install ffmpeg). Each is the same 2.5 s tone, small on purpose. durations.golden
# gets, for every audio file here (speech_*.mp3 included, see SOURCES.md), the duration
# of the audio ffmpeg decodes from it (what Groq bills: a 36.744 s MP3 whose LAME tag
# declares 1,512 samples of delay and padding was billed 36.7125 s) and ffprobe's
# container duration for comparison.
set -eu
cd "$(dirname "$0")"
src="-f lavfi -i sine=frequency=440:beep_factor=4:duration=2.5"
ff() { ffmpeg -hide_banner -loglevel error -y $src -fflags +bitexact -flags:a +bitexact "$@"; }

ff -ar 8000 -ac 1 -c:a pcm_s16le tone.wav
ff -ar 8000 -ac 1 -c:a pcm_mulaw tone_mulaw.wav
ff -ar 4000 -ac 2 -c:a pcm_f32le tone_float_stereo.wav
ff -ar 8000 -ac 1 -c:a pcm_s16le -f wav - > tone_piped.wav
ff -ar 8000 -ac 1 -c:a adpcm_ima_wav tone_adpcm.wav
ff -ar 8000 -ac 1 -c:a flac tone.flac
ff -ar 8000 -ac 1 -c:a flac -f flac - > tone_piped.flac
ff -ar 22050 -ac 1 -c:a libmp3lame -b:a 32k tone_cbr.mp3
ff -ar 22050 -ac 1 -c:a libmp3lame -q:a 7 tone_vbr.mp3
ff -ar 44100 -ac 2 -c:a libmp3lame -b:a 64k -write_xing 0 -id3v2_version 0 tone_noxing.mp3
ff -ar 8000 -ac 1 -c:a libmp3lame -b:a 16k -write_id3v1 1 tone_mpeg25.mp3
ff -ar 16000 -ac 1 -c:a libopus -b:a 12k tone.opus
ff -ar 16000 -ac 1 -c:a libvorbis -q:a 0 tone.ogg
ff -ar 8000 -ac 1 -c:a flac -f ogg tone_flac.oga
ff -ar 16000 -ac 1 -c:a libopus -b:a 12k tone.webm
ff -ar 16000 -ac 1 -c:a libopus -b:a 12k -f webm - > tone_piped.webm
ff -ar 16000 -ac 1 -c:a libvorbis -q:a 0 tone_vorbis.mka
ff -ar 16000 -ac 1 -c:a aac -b:a 24k tone.m4a
ff -ar 16000 -ac 1 -c:a aac -b:a 24k -movflags +faststart tone_faststart.m4a
ff -ar 16000 -ac 1 -c:a aac -b:a 24k -movflags +frag_keyframe+empty_moov -frag_duration 500000 tone_fragmented.m4a
ff -ar 16000 -ac 1 -c:a aac -b:a 24k -f mp4 -movflags +frag_keyframe+empty_moov+default_base_moof - > tone_piped.mp4

# Not audio Groq takes: the meter must say "unknown".
ff -ar 16000 -ac 1 -c:a aac -b:a 24k -f adts tone.aac

for f in speech_* tone*; do
	probe=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$f")
	rate=$(ffprobe -v error -select_streams a:0 -show_entries stream=sample_rate -of csv=p=0 "$f")
	bytes=$(ffmpeg -v error -i "$f" -map 0:a:0 -f s16le -ac 1 -ar "$rate" - | wc -c)
	decoded=$(awk -v b="$bytes" -v r="$rate" 'BEGIN { printf "%.6f", b / 2 / r }')
	printf '%s %s %s\n' "$f" "$decoded" "$probe"
done > durations.golden
