#!/bin/sh
# Regenerates the audio files the golden tests measure, with Debian's ffmpeg
# (apt-get install ffmpeg). Each is the same 2.5 s tone sweep, small on purpose; the
# expected durations in durations.golden are ffprobe's, written by this script.
set -eu
cd "$(dirname "$0")"
src="-f lavfi -i sine=frequency=440:beep_factor=4:duration=2.5"
ff() { ffmpeg -hide_banner -loglevel error -y $src -fflags +bitexact -flags:a +bitexact "$@"; }

ff -ar 8000 -ac 1 -c:a pcm_s16le tone.wav
ff -ar 8000 -ac 1 -c:a pcm_mulaw tone_mulaw.wav
ff -ar 8000 -ac 2 -c:a pcm_f32le tone_float_stereo.wav
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

for f in tone*; do
	d=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$f")
	printf '%s %s\n' "$f" "$d"
done > durations.golden
